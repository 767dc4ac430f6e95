#pragma once
// Whether a chain has collapsed at this generation: the model's samples have lost almost all of
// the real data's variance, trace(Cov(samples)) < ratio * trace(Cov(real test set)). The default
// ratio 0.01 is SCIENCE.md section 5's yardstick (P(s2_t < 0.01 s2_0) for the Gaussian loop).
// Reported as "collapsed" = 1 or 0, so that its mean over seeds is the fraction of chains that
// collapsed.

#include "madlab/metrics/metric.h"

namespace madlab {

class CollapseMetric : public Metric {
public:
    // Throws ConfigError (naming metrics.collapse_ratio) unless 0 < ratio < 1.
    explicit CollapseMetric(double ratio = 0.01);
    std::string name() const override { return "collapse"; }
    MetricValues compute(const MetricInput& input) const override;

private:
    double ratio_;
};

}  // namespace madlab
