#pragma once
// The study tests' reading of a config error.

#include <string>

#include "madlab/core/error.h"
#include "madlab/study/study_config.h"

namespace madlab::testing {

// The message of the ConfigError that parse_study(text, "study.toml") throws; "" when the
// text parses.
inline std::string config_error_of(const std::string& text) {
    try {
        parse_study(text, "study.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace madlab::testing
