#pragma once
// Held-out log-likelihood (SCIENCE.md section 6): the mean negative log-density, in nats, of the
// real test set under the model, for families that have a density.

#include <string>

#include "madlab/metrics/metric.h"

namespace madlab {

// Metric "nll": value "nll" = model.mean_nll(real_test). Left out when the family has no
// density (mean_nll returns nullopt) or the value is not finite (e.g. a degenerate density
// that gives a test point zero density).
class NllMetric : public Metric {
public:
    std::string name() const override { return "nll"; }
    MetricValues compute(const MetricInput& input) const override;
};

}  // namespace madlab
