#pragma once
// The report's verdicts: how each setting's metrics moved from generation 0 (trained on real
// data only) to its last generation, paired seed by seed.

#include <string>
#include <vector>

#include "madlab/report/study_folder.h"

namespace madlab {

enum class Verdict { kWorse, kBetter, kHolds, kInconclusive, kUnknown };

// "worse", "better", "holds", "inconclusive", "" (unknown).
const char* verdict_name(Verdict v);

struct MetricChange {
    std::string setting;
    std::string metric;
    int last_generation = 0;
    double first_mean = 0.0;  // generation 0, mean over seeds
    double last_mean = 0.0;   // last generation, mean over seeds
    double last_low = 0.0;    // its 95% interval
    double last_high = 0.0;   // clipped to the metric's domain (metric_catalog.h)
    // Paired change last - first over the seeds that have both: mean and 95% interval (Student
    // t, n - 1 degrees of freedom). NaN without records.csv or with fewer than two seeds.
    std::size_t pairs = 0;
    double change = 0.0;
    double change_low = 0.0;
    double change_high = 0.0;
    Verdict verdict = Verdict::kUnknown;
};

// Rules for a verdict, with the tolerance T = `material` times |generation 0's mean|:
//   "holds":        the paired 95% interval lies within [-T, T]: it excludes any change that
//                   matters;
//   "worse"/"better": the interval lies wholly on one side of zero (the change is not seed
//                   noise) and the mean change is at least T (it is large enough to matter), by
//                   the metric's direction;
//   "inconclusive": anything else: the interval holds zero and reaches past T, or the change is
//                   sure but its size is not (more seeds would decide).
// Unknown for metrics with no better direction or without paired values.
struct FindingOptions {
    double material = 0.05;
};

// One change per (setting, metric) of the given lists that the folder has, settings outer.
std::vector<MetricChange> final_changes(const StudyFolder& folder,
                                        const std::vector<std::string>& settings,
                                        const std::vector<std::string>& metrics,
                                        const FindingOptions& options = {});

}  // namespace madlab
