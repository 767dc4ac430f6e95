#pragma once
// A quality or diversity metric of one generation: compares the held-out real test set with
// model samples (and may use the model itself, e.g. its density or Gaussian parameters). Like
// the models (models/generative_model.h), metrics are written for one kind of data: Metric for
// vectors and images, TextMetric for text.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/core/named_values.h"
#include "madlab/data/data_source.h"
#include "madlab/models/generative_model.h"

namespace madlab {

// Named metric values; one metric may return several (PRDC returns four).
using MetricValues = NamedValues;

// Everything a metric may look at for one generation.
template <class Data>
struct MetricInputOf {
    const Data& real_test;  // held-out real data, never trained on
    const Data& samples;    // samples of the model (with the configured sampling bias)
    const GenerativeModel<Data>& model;
    // The real source's exact Gaussian parameters, when the source is one Gaussian.
    std::optional<GaussianParams> source_gaussian;
    // The sampling bias lambda the samples were drawn with (models/generative_model.h): a metric
    // that scores the model's parameters instead of its samples scores the distribution the
    // samples come from, not the fit.
    double bias = 1.0;
    // The real source itself (not owned; nullptr outside a loop), for metrics that need what
    // only a kind of source knows (a categorical source's probabilities, a regression source's
    // true weights): they look for it with dynamic_cast and leave their values out without it.
    const DataSource<Data>* source = nullptr;
};

template <class Data>
class MetricOf {
public:
    virtual ~MetricOf() = default;
    virtual std::string name() const = 0;
    // Values are always finite (collapsed models are normal here, DESIGN.md); a value that is
    // undefined for this input is left out of the result rather than reported as NaN.
    virtual MetricValues compute(const MetricInputOf<Data>& input) const = 0;
};

using MetricInput = MetricInputOf<Matrix>;
using Metric = MetricOf<Matrix>;
using TextMetricInput = MetricInputOf<Corpus>;
using TextMetric = MetricOf<Corpus>;

// Metric "nll" (vectors): the model's own score of the held-out real data
// (GenerativeModel::score_held_out), left out when the family cannot score data. Text studies
// use TextPerplexityMetric (fixed_vocabulary_perplexity.h), which adds the fixed-vocabulary
// perplexity to the same score.
template <class Data>
class HeldOutScoreMetric : public MetricOf<Data> {
public:
    explicit HeldOutScoreMetric(std::string name) : name_(std::move(name)) {}
    std::string name() const override { return name_; }
    MetricValues compute(const MetricInputOf<Data>& input) const override {
        return input.model.score_held_out(input.real_test);
    }

private:
    std::string name_;
};

}  // namespace madlab
