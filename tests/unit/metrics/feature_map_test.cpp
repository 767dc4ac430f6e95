#include "madlab/metrics/feature_map.h"

#include <gtest/gtest.h>

#include "madlab/metrics/frechet.h"
#include "madlab/metrics/likelihood.h"
#include "madlab/metrics/prdc.h"
#include "test_models.h"

namespace madlab {
namespace {

Matrix noise(std::size_t n, int d, std::uint64_t seed, double scale) {
    Rng rng(seed);
    Matrix x(static_cast<Eigen::Index>(n), d);
    for (Eigen::Index i = 0; i < x.rows(); ++i)
        for (int j = 0; j < d; ++j) x(i, j) = rng.normal() * scale * (j < 3 ? 1.0 : 0.1);
    return x;
}

TEST(FeatureSpaceMetric, ComputesOnMappedDataAndLeavesNllInDataSpace) {
    const Matrix train = noise(400, 10, 1, 1.0);
    auto pca = std::make_shared<const Pca>(Pca::fit(train, 3));
    auto map = std::make_shared<const PcaFeatureMap>(pca, "pca(3)");
    const Matrix test = noise(300, 10, 2, 1.0);
    const Matrix samples = noise(300, 10, 3, 1.5);
    testing::FixedGaussianModel model(Vector::Zero(10), SquareMatrix::Identity(10, 10));

    std::vector<std::unique_ptr<Metric>> metrics;
    metrics.push_back(std::make_unique<FrechetMetric>());
    metrics.push_back(std::make_unique<NllMetric>());
    metrics.push_back(std::make_unique<PrdcMetric>(5, 1));
    const auto mapped = in_feature_space(std::move(metrics), map);
    ASSERT_EQ(mapped.size(), 3u);
    EXPECT_EQ(mapped[0]->name(), "frechet");
    EXPECT_NE(dynamic_cast<const FeatureSpaceMetric*>(mapped[0].get()), nullptr);
    EXPECT_EQ(dynamic_cast<const FeatureSpaceMetric*>(mapped[1].get()), nullptr);  // nll

    // A source Gaussian given in data space is not used in feature space.
    GaussianParams source{Vector::Zero(10), SquareMatrix::Identity(10, 10)};
    const MetricInput input{test, samples, model, source};
    const double fd = mapped[0]->compute(input).at(0).second;
    EXPECT_DOUBLE_EQ(fd, frechet_distance(pca->project(test), pca->project(samples)));
    EXPECT_NE(fd, frechet_distance(test, samples));
    EXPECT_DOUBLE_EQ(mapped[1]->compute(input).at(0).second, *model.mean_nll(test));
    const MetricValues prdc = mapped[2]->compute(input);
    const MetricValues direct = PrdcMetric(5, 1).compute(
        MetricInput{pca->project(test), pca->project(samples), model, std::nullopt});
    EXPECT_EQ(prdc, direct);
}

}  // namespace
}  // namespace madlab
