#pragma once
// How well a linear regression fit predicts, for supervised rows [x_1 .. x_d, y] (the label
// last): the setting of Gerstgrasser et al. 2024 ("Is Model Collapse Inevitable?", arXiv
// 2404.01413), whose test error is the excess risk of the fitted weights.

#include <string>

#include "madlab/metrics/metric.h"

namespace madlab {

// Metric "regression", for a model that implements HasRegressionWeights
// (models/generative_model.h: y_hat = b + x . w_hat, the linear-regression family); empty for
// any other model.
//   test_error = E_x[(y_hat(x) - x . w*)^2] over fresh design points x ~ N(0, I_d) of the
//                source, which is exactly ||w_hat - w*||^2 + b^2 (E[x x'] = I): Gerstgrasser et
//                al.'s test error (their E_x is over the source's design distribution). Only with
//                a RegressionSource (data/regression_source.h), found through MetricInput::source;
//                left out otherwise.
//   test_mse   = mean over the held-out real rows of (y_hat(x) - y)^2: works for any data of
//                this layout (a CSV with the label last); with a regression source its
//                expectation is test_error + sigma^2.
// Both read the fitted parameters, not the samples, so the sampling bias does not enter (it
// scales only the label noise of the samples). Throws DataError when the model's number of
// features differs from the source's or the test rows'.
class RegressionMetric : public Metric {
public:
    std::string name() const override { return "regression"; }
    MetricValues compute(const MetricInput& input) const override;
};

}  // namespace madlab
