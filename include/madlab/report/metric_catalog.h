#pragma once
// What the report says about each metric madlab records: a one-line meaning for captions, which
// direction is better, the values it can take, and which metrics a study's report leads with.

#include <limits>
#include <string>
#include <vector>

namespace madlab {

enum class Better { kHigher, kLower, kNeither };

// The closed interval [low, high] a metric's values lie in. A 95% interval of a mean over few
// seeds (mean +- t * standard error) can reach past it (recall below 0, a negative distance):
// the report clips what it draws to it.
struct MetricDomain {
    double low = -std::numeric_limits<double>::infinity();
    double high = std::numeric_limits<double>::infinity();
};

struct MetricInfo {
    std::string name;
    Better better = Better::kNeither;
    std::string meaning;  // one sentence, for captions and tooltips
    MetricDomain domain;  // unbounded for a metric madlab does not know
};

// The entry for `name`; a metric madlab does not know gets {name, kNeither, ""}.
MetricInfo metric_info(const std::string& name);

// `value` clipped to the domain of `metric` (NaN stays NaN).
double clip_to_domain(const std::string& metric, double value);

// Whether a log axis suits `metric`: its domain lies above 0 (perplexity, from 1) or starts at 0
// for a distance or error (Frechet distance, KL, squared errors), not a share in [0, 1].
bool log_axis_allowed(const std::string& metric);

// "recall (higher is better)", or the name alone when neither direction is better.
std::string metric_label(const std::string& name);

// The metrics a report leads with, among those `present`, in order: precision and recall's
// diversity and quality pair, coverage and Frechet distance for continuous data; for text the
// perplexity over the fixed real vocabulary (perplexity_fixed_vocab), lost mass, distinct-2 and
// entropy, and KenLM's perplexity only after them (it can fall while a model loses words; the
// external family has no fixed-vocabulary value and lost mass, so it shows KenLM's); Gaussian drift
// for Gaussian models. `first` (the analysed metric of threshold and decompose) comes first when
// present. When none is known, the first four that are not bookkeeping (train_size, real_fraction,
// fit_converged, collapsed).
std::vector<std::string> headline_metrics(const std::vector<std::string>& present,
                                          const std::string& first = "");

// Metrics that describe the loop rather than the model (train_size, real_fraction,
// train_tokens, fit_converged, collapsed).
bool is_bookkeeping_metric(const std::string& name);

}  // namespace madlab
