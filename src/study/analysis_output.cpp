#include "madlab/study/analysis_output.h"

#include <fmt/core.h>

#include <cmath>
#include <filesystem>

#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"
#include "madlab/store/record_files.h"
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
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(fmt::format("cannot create output folder '{}': {}", dir, ec.message()));
    nlohmann::json j;
    j["madlab_version"] = MADLAB_VERSION;
    j["config"] = to_json(study);
    j[name] = body;
    write_file_atomically(dir + "/" + name + ".json", j.dump(1) + "\n");
    write_file_atomically(dir + "/records.csv", records_to_csv(records));
}

}  // namespace madlab
