#include "madlab/metrics/feature_map.h"

namespace madlab {

MetricValues FeatureSpaceMetric::compute(const MetricInput& input) const {
    const Matrix test = map_->map(input.real_test);
    const Matrix samples = map_->map(input.samples);
    // The source (its exact Gaussian, its own knowledge) lives in data space: not the features.
    return inner_->compute(MetricInput{test, samples, input.model, std::nullopt, input.bias});
}

std::vector<std::unique_ptr<Metric>> in_feature_space(std::vector<std::unique_ptr<Metric>> metrics,
                                                      std::shared_ptr<const FeatureMap> map) {
    std::vector<std::unique_ptr<Metric>> out;
    for (auto& m : metrics) {
        if (m->name() == "nll")
            out.push_back(std::move(m));
        else
            out.push_back(std::make_unique<FeatureSpaceMetric>(std::move(m), map));
    }
    return out;
}

}  // namespace madlab
