#pragma once
// The resolved configuration of a study, written next to its results so that a run can be
// reproduced and read: as TOML (config.toml, which parse_study reads back to the same study) and
// as JSON (inside summary.json).

#include <nlohmann/json.hpp>
#include <string>

#include "madlab/study/study_config.h"

namespace madlab {

// Every key of one chain's configuration with its resolved value (defaults filled in).
nlohmann::json to_json(const ChainConfig& config);

// The [study] values, the resolved base sections and each setting's resolved keys.
nlohmann::json to_json(const StudyConfig& study);

// TOML text: [study], the base sections with every key resolved, and one [[settings]] per
// setting with every key that differs from the base.
std::string to_toml(const StudyConfig& study);

}  // namespace madlab
