#pragma once
// A quality or diversity metric of one generation: compares the held-out real test set with
// model samples (and may use the model itself, e.g. its density or Gaussian parameters).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/models/generative_model.h"

namespace madlab {

// Named metric values; one metric may return several (PRDC returns four).
using MetricValues = std::vector<std::pair<std::string, double>>;

// Everything a metric may look at for one generation.
struct MetricInput {
    const Matrix& real_test;  // N held-out real points, never trained on
    const Matrix& samples;    // M samples of the model (bias = 1 unless configured)
    const ContinuousModel& model;
    // The real source's exact Gaussian parameters, when the source is one Gaussian.
    std::optional<GaussianParams> source_gaussian;
};

class Metric {
public:
    virtual ~Metric() = default;
    virtual std::string name() const = 0;
    // Values are always finite (collapsed models are normal here, DESIGN.md); a value that is
    // undefined for this input is left out of the result rather than reported as NaN.
    virtual MetricValues compute(const MetricInput& input) const = 0;
};

}  // namespace madlab
