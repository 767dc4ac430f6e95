#include "madlab/metrics/categorical_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "madlab/data/categorical_source.h"
#include "madlab/metrics/metric_registry.h"

namespace madlab {
namespace {

// A categorical model with fixed probabilities p whose sampling distribution at bias lambda is
// p^(1/lambda) renormalised (a stand-in for the categorical family: the metrics layer does not
// depend on the families).
class FixedCategoricalModel : public ContinuousModel, public HasCategoricalProbabilities {
public:
    explicit FixedCategoricalModel(std::vector<double> p) : p_(std::move(p)) { mark_fitted(); }
    std::string family() const override { return "fixed_categorical"; }
    std::unique_ptr<ContinuousModel> clone() const override {
        return std::make_unique<FixedCategoricalModel>(*this);
    }
    std::vector<double> sampling_probabilities(double bias) const override {
        std::vector<double> q(p_.size());
        double total = 0.0;
        for (std::size_t i = 0; i < p_.size(); ++i) total += q[i] = std::pow(p_[i], 1.0 / bias);
        for (double& v : q) v /= total;
        return q;
    }
    std::vector<double> fitted_probabilities() const override { return p_; }

protected:
    FitInfo do_fit(const Matrix&, FitContext<Matrix>&) override { return {}; }
    Matrix do_sample(std::size_t n, double, Rng&, std::string_view) const override {
        return Matrix::Zero(static_cast<Eigen::Index>(n), 1);
    }

private:
    std::vector<double> p_;
};

// A model without the interface: the metric reads its samples.
class OpaqueModel : public ContinuousModel {
public:
    OpaqueModel() { mark_fitted(); }
    std::string family() const override { return "opaque"; }
    std::unique_ptr<ContinuousModel> clone() const override {
        return std::make_unique<OpaqueModel>(*this);
    }

protected:
    FitInfo do_fit(const Matrix&, FitContext<Matrix>&) override { return {}; }
    Matrix do_sample(std::size_t n, double, Rng&, std::string_view) const override {
        return Matrix::Zero(static_cast<Eigen::Index>(n), 1);
    }
};

Matrix column(const std::vector<double>& values) {
    Matrix x(static_cast<Eigen::Index>(values.size()), 1);
    for (std::size_t i = 0; i < values.size(); ++i) x(static_cast<Eigen::Index>(i), 0) = values[i];
    return x;
}

std::map<std::string, double> as_map(const MetricValues& values) {
    return {values.begin(), values.end()};
}

// q = (1/2, 1/2, 0), p = (1/4, 1/4, 1/2): two categories kept, the lost one had mass 1/2;
// tv = (1/4 + 1/4 + 1/2) / 2 = 1/2; KL(q || p) = 2 * 1/2 ln 2 = ln 2; entropy ln 2; collision 1/2.
TEST(CompareCategorical, HandComputedCase) {
    const CategoricalComparison c = compare_categorical(std::vector<double>{0.5, 0.5, 0.0},
                                                        std::vector<double>{0.25, 0.25, 0.5});
    EXPECT_EQ(c.categories_kept, 2u);
    EXPECT_DOUBLE_EQ(c.lost_mass, 0.5);
    EXPECT_DOUBLE_EQ(c.tv, 0.5);
    ASSERT_TRUE(c.kl.has_value());
    EXPECT_DOUBLE_EQ(*c.kl, std::log(2.0));
    EXPECT_DOUBLE_EQ(c.entropy, std::log(2.0));
    EXPECT_DOUBLE_EQ(c.collision, 0.5);
}

// The same distribution: nothing lost, distances 0; a point mass: entropy 0, collision 1.
TEST(CompareCategorical, EqualAndPointMass) {
    const std::vector<double> p = {0.2, 0.3, 0.5};
    const CategoricalComparison same = compare_categorical(p, p);
    EXPECT_EQ(same.categories_kept, 3u);
    EXPECT_EQ(same.lost_mass, 0.0);
    EXPECT_NEAR(same.tv, 0.0, 1e-16);
    EXPECT_NEAR(*same.kl, 0.0, 1e-16);
    EXPECT_NEAR(same.entropy, -(0.2 * std::log(0.2) + 0.3 * std::log(0.3) + 0.5 * std::log(0.5)),
                1e-15);
    EXPECT_NEAR(same.collision, 0.04 + 0.09 + 0.25, 1e-15);
    // A point mass on category 1 (q shorter than p: padded with zeros).
    const CategoricalComparison point = compare_categorical(std::vector<double>{0.0, 1.0}, p);
    EXPECT_EQ(point.categories_kept, 1u);
    EXPECT_DOUBLE_EQ(point.lost_mass, 0.7);
    EXPECT_DOUBLE_EQ(point.tv, 0.7);
    EXPECT_DOUBLE_EQ(*point.kl, -std::log(0.3));
    EXPECT_EQ(point.entropy, 0.0);
    EXPECT_EQ(point.collision, 1.0);
}

// Mass where p has none: KL(q || p) is infinite and left out; p longer than q or q longer
// than p are both padded.
TEST(CompareCategorical, KlIsLeftOutWhenInfinite) {
    const CategoricalComparison c =
        compare_categorical(std::vector<double>{0.5, 0.25, 0.25}, std::vector<double>{0.5, 0.5});
    EXPECT_FALSE(c.kl.has_value());
    EXPECT_DOUBLE_EQ(c.tv, 0.25);
    EXPECT_EQ(c.lost_mass, 0.0);
}

// The metric with a categorical source: q from the model at the input's bias (lambda = 0.5
// squares and renormalises the model's (2/3, 1/3, 0): q = (4/5, 1/5, 0)), p = (0.5, 0.3, 0.2)
// from the source, not from the test set.
TEST(CategoricalMetric, UsesTheModelsSamplingDistributionAndTheSource) {
    const FixedCategoricalModel model({2.0 / 3, 1.0 / 3, 0.0});
    const CategoricalSource source({0.5, 0.3, 0.2});
    const Matrix test = column({0, 0, 0, 0});  // not read: the source knows p
    const Matrix samples = column({0});
    MetricInput input{test, samples, model, std::nullopt, 0.5, &source};
    const auto v = as_map(CategoricalMetric().compute(input));
    EXPECT_EQ(v.at("categories_kept"), 2.0);
    EXPECT_DOUBLE_EQ(v.at("lost_mass"), 0.2);
    EXPECT_NEAR(v.at("tv"), 0.5 * (0.3 + 0.1 + 0.2), 1e-15);
    EXPECT_NEAR(v.at("kl"), 0.8 * std::log(0.8 / 0.5) + 0.2 * std::log(0.2 / 0.3), 1e-15);
    EXPECT_NEAR(v.at("entropy"), -(0.8 * std::log(0.8) + 0.2 * std::log(0.2)), 1e-15);
    EXPECT_NEAR(v.at("collision"), 0.68, 1e-15);
    // The fit itself also lacks category 2 only.
    EXPECT_DOUBLE_EQ(v.at("fit_lost_mass"), 0.2);
    // A fit that has category 2 but samples without it (as with top_k): only lost_mass counts it.
    class Truncated : public FixedCategoricalModel {
    public:
        Truncated() : FixedCategoricalModel({0.5, 0.3, 0.2}) {}
        std::vector<double> sampling_probabilities(double) const override { return {1, 0, 0}; }
    };
    const Truncated truncated;
    const auto t = as_map(CategoricalMetric().compute(
        MetricInput{test, samples, truncated, std::nullopt, 1.0, &source}));
    EXPECT_DOUBLE_EQ(t.at("lost_mass"), 0.5);
    EXPECT_EQ(t.at("fit_lost_mass"), 0.0);
}

// Without a categorical source, p is the test set's frequencies; without the interface, q is
// the samples' frequencies. Values that are not categories leave every value out.
TEST(CategoricalMetric, FallsBackToFrequencies) {
    const OpaqueModel model;
    const Matrix test = column({0, 1, 1, 3});  // p = (1/4, 1/2, 0, 1/4)
    const Matrix samples = column({1, 1});     // q = (0, 1)
    const auto v = as_map(CategoricalMetric().compute(MetricInput{test, samples, model}));
    EXPECT_EQ(v.at("categories_kept"), 1.0);
    EXPECT_DOUBLE_EQ(v.at("lost_mass"), 0.5);
    EXPECT_DOUBLE_EQ(v.at("tv"), 0.5);
    EXPECT_DOUBLE_EQ(v.at("kl"), std::log(2.0));
    EXPECT_EQ(v.at("entropy"), 0.0);
    EXPECT_EQ(v.at("collision"), 1.0);
    EXPECT_FALSE(v.contains("fit_lost_mass"));  // the model does not expose a fit
    const Matrix continuous = column({0.5, 1.0});
    EXPECT_TRUE(CategoricalMetric().compute(MetricInput{test, continuous, model}).empty());
    EXPECT_TRUE(CategoricalMetric().compute(MetricInput{continuous, samples, model}).empty());
}

TEST(CategoricalMetric, IsRegistered) {
    const MetricEntry* entry = find_metric("categorical");
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->make(Params{}, 1)->name(), "categorical");
}

}  // namespace
}  // namespace madlab
