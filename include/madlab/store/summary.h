#pragma once
// Summaries over seeds: for each (setting, generation, metric) the mean, standard deviation,
// median, the fraction of chains that collapsed, and the 95% confidence interval of the mean, mean
// +- t_{0.975, n-1} * sd / sqrt(n) (Student's t; with one seed the interval is the single value),
// computed by madlab/core/statistics.h.

#include <cstdint>
#include <string>
#include <vector>

#include "madlab/store/record.h"

namespace madlab {

struct SummaryRow {
    std::string setting;
    int generation = 0;
    std::string metric;
    std::size_t count = 0;  // number of seeds with a value
    double mean = 0.0;
    double std = 0.0;  // sample standard deviation (n - 1); 0 for one value
    double ci95_low = 0.0;
    double ci95_high = 0.0;
    double median = 0.0;
    // Fraction of the chains of this setting whose "collapsed" record is 1 at this generation
    // (CollapseMetric); 0 when no chain reports it.
    double collapsed_fraction = 0.0;
};

// One row per (setting, generation, metric), ordered by setting (first appearance in `records`),
// then generation, then metric (first appearance in the records ordered by setting, generation
// and then as given).
std::vector<SummaryRow> summarize(const std::vector<Record>& records);

class ResultsDb;

// The same rows for the records of study `study_id` in `db`, read one (setting, generation) at
// a time: memory holds one generation's values of one setting, however many records the study
// has. Equal to summarize(db.records(study)).
std::vector<SummaryRow> summarize_study(const ResultsDb& db, std::int64_t study_id);

}  // namespace madlab
