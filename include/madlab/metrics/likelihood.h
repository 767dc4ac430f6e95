#pragma once
// Held-out log-likelihood (SCIENCE.md section 6): the mean negative log-density, in nats, of the
// real test set under the model, for families that have a density. It scores the fitted density
// (lambda = 1) whatever the sampling bias: the model the loop carries forward, as perplexity
// scores the fitted language model at temperature 1 (KenLM's convention).

#include "madlab/metrics/metric.h"

namespace madlab {

// Metric "nll": value "nll" = the model's mean negative log-density of real_test (its
// score_held_out). Left out when the family has no density or the value is not finite (e.g. a
// degenerate density that gives a test point zero density).
class NllMetric : public HeldOutScoreMetric<Matrix> {
public:
    NllMetric() : HeldOutScoreMetric<Matrix>("nll") {}
};

}  // namespace madlab
