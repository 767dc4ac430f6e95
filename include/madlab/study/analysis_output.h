#pragma once
// What the analysis commands (threshold, decompose) share: reading one metric out of a study's
// records and writing their results next to the records.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "madlab/store/record.h"
#include "madlab/study/study_config.h"

namespace madlab {

using SeedGeneration = std::pair<std::uint64_t, int>;

// The values of `metric` for `setting`, keyed by (seed, generation).
std::map<SeedGeneration, double> values_by_seed_generation(const std::vector<Record>& records,
                                                           const std::string& setting,
                                                           const std::string& metric);

// A number for JSON: null when it is not finite (JSON has no NaN or infinity).
nlohmann::json json_number(double v);

// Writes DIR/<name>.json ({madlab_version, config, <name>: body}) and DIR/records.csv, each
// atomically, creating DIR, through analysis_file_reporters (study/analysis.h).
void write_analysis_outputs(const std::string& dir, const StudyConfig& study,
                            const std::string& name, const nlohmann::json& body,
                            const std::vector<Record>& records);

}  // namespace madlab
