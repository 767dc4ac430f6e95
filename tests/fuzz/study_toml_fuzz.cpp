// Fuzz target: a study file (TOML) through parse_study, the reader of `madlab run STUDY.toml`
// and of the config a results database stores. Seeds: examples/*.toml and corpus/study_toml.
#include "fuzz_input.h"
#include "madlab/core/error.h"
#include "madlab/study/study_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        madlab::parse_study(madlab::fuzz::as_string(data, size), "fuzz.toml");
    } catch (const madlab::Error&) {
    }
    return 0;
}
