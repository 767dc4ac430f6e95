#include "madlab/study/analysis_output.h"

#include <cmath>

#include "madlab/study/analysis.h"
#include "madlab/study/resolved_config.h"

namespace madlab {

std::map<SeedGeneration, double> values_by_seed_generation(const std::vector<Record>& records,
                                                           const std::string& setting,
                                                           const std::string& metric) {
    std::map<SeedGeneration, double> out;
    for (const auto& r : records)
        if (r.setting == setting && r.metric == metric) out[{r.seed, r.generation}] = r.value;
    return out;
}

nlohmann::json json_number(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

void write_analysis_outputs(const std::string& dir, const StudyConfig& study,
                            const std::string& name, const nlohmann::json& body,
                            const std::vector<Record>& records) {
    StudyOutput output;
    output.analysis = name;
    output.config = to_json(study);
    output.analysis_body = body;
    output.records = records;
    report_all(analysis_file_reporters(RunFolder(dir)), output);
}

}  // namespace madlab
