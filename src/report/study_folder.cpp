#include "madlab/report/study_folder.h"

#include "madlab/store/run_folder.h"

namespace madlab {

StudyFolder read_study_folder(const std::string& dir) { return RunFolder(dir).read(); }

const SummaryRow* find_summary_row(const StudyFolder& folder, const std::string& setting,
                                   const std::string& metric, int generation) {
    for (const auto& r : folder.summary)
        if (r.setting == setting && r.metric == metric && r.generation == generation) return &r;
    return nullptr;
}

}  // namespace madlab
