#include "madlab/loop/schedule.h"

#include <fmt/core.h>

#include "madlab/core/error.h"

namespace madlab {

const std::vector<std::string>& schedule_preset_names() {
    static const std::vector<std::string> names = {"fully-synthetic", "synthetic-augmentation",
                                                   "fresh-data", "accumulate",
                                                   "accumulate-subsample"};
    return names;
}

ScheduleOptions schedule_preset(const std::string& name, std::size_t n) {
    ScheduleOptions o;
    o.n_real_initial = n;
    o.n_synthetic = n;
    if (name == "fully-synthetic") {
        // Only samples of the previous model (Alemohammad et al.'s fully synthetic loop).
    } else if (name == "synthetic-augmentation") {
        o.n_real_fixed = n;  // generation 0's real set, reused every generation
    } else if (name == "fresh-data") {
        o.n_real_fresh = n;
    } else if (name == "accumulate") {
        o.accumulate = true;
    } else if (name == "accumulate-subsample") {
        o.accumulate = true;
        o.subsample = n;
    } else {
        std::string valid;
        for (const auto& v : schedule_preset_names()) valid += (valid.empty() ? "" : ", ") + v;
        throw ConfigError(
            fmt::format("schedule.preset: unknown preset '{}'; use one of: {}", name, valid));
    }
    return o;
}

void validate(const ScheduleOptions& o) {
    if (o.n_real_initial == 0)
        throw ConfigError("schedule.n_real_initial must be >= 1: generation 0 trains on real data");
    if (o.n_real_fixed > o.n_real_initial)
        throw ConfigError(fmt::format(
            "schedule.n_real_fixed ({}) must be <= schedule.n_real_initial ({}): the fixed real "
            "set is the part of generation 0's real data that is reused",
            o.n_real_fixed, o.n_real_initial));
    if (o.synthetic_from_last_k < 1)
        throw ConfigError(fmt::format("schedule.synthetic_from_last_k must be >= 1, got {}",
                                      o.synthetic_from_last_k));
    if (o.subsample > 0 && !o.accumulate)
        throw ConfigError(
            "schedule.subsample only applies with schedule.accumulate = true; set accumulate or "
            "remove subsample");
    if (o.n_real_fixed + o.n_real_fresh + o.n_synthetic == 0 && !o.accumulate)
        throw ConfigError(
            "schedule: generations after the first would train on no data; set n_synthetic, "
            "n_real_fresh or n_real_fixed");
}

}  // namespace madlab
