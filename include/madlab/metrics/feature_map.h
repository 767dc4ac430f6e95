#pragma once
// Metrics in a fixed feature space. Image studies score every generation in one feature space:
// the PCA of the real training pool (models/pca.h), fitted once before generation 0 and never
// refitted, so that the Frechet distance, precision, recall, density, coverage, KID and the
// collapse check of different generations (and settings) are comparable. This plays the role
// Inception features play in FID, with a map that needs no network and is documented in
// docs/images.md.

#include <memory>
#include <string>
#include <vector>

#include "madlab/metrics/metric.h"
#include "madlab/models/pca.h"

namespace madlab {

// A fixed map from data space to feature space, applied row by row.
class FeatureMap {
public:
    virtual ~FeatureMap() = default;
    virtual std::string describe() const = 0;  // e.g. "pca(32) of 8000 real training images"
    virtual Matrix map(const Matrix& x) const = 0;
};

class PcaFeatureMap final : public FeatureMap {
public:
    PcaFeatureMap(std::shared_ptr<const Pca> pca, std::string description)
        : pca_(std::move(pca)), description_(std::move(description)) {}
    std::string describe() const override { return description_; }
    Matrix map(const Matrix& x) const override { return pca_->project(x); }
    const Pca& pca() const { return *pca_; }

private:
    std::shared_ptr<const Pca> pca_;
    std::string description_;
};

// Computes `inner` on the mapped test set and samples. The model is passed on unchanged, so a
// metric that reads the model's density (nll) must not be wrapped: it sees data space.
class FeatureSpaceMetric final : public Metric {
public:
    FeatureSpaceMetric(std::unique_ptr<Metric> inner, std::shared_ptr<const FeatureMap> map)
        : inner_(std::move(inner)), map_(std::move(map)) {}
    std::string name() const override { return inner_->name(); }
    MetricValues compute(const MetricInput& input) const override;

private:
    std::unique_ptr<Metric> inner_;
    std::shared_ptr<const FeatureMap> map_;
};

// Wraps every metric of `metrics` in the feature map except those that read the model's density
// ("nll"), which see data space. The order is kept.
std::vector<std::unique_ptr<Metric>> in_feature_space(std::vector<std::unique_ptr<Metric>> metrics,
                                                      std::shared_ptr<const FeatureMap> map);

}  // namespace madlab
