#include "madlab/models/categorical.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"

namespace madlab {
namespace {

using ::testing::HasSubstr;

Matrix column(const std::vector<double>& values) {
    Matrix x(static_cast<Eigen::Index>(values.size()), 1);
    for (std::size_t i = 0; i < values.size(); ++i) x(static_cast<Eigen::Index>(i), 0) = values[i];
    return x;
}

CategoricalModel fitted(const std::vector<double>& data, CategoricalOptions options) {
    CategoricalModel model(options);
    Rng rng(0);
    model.fit(column(data), rng);
    return model;
}

void expect_probabilities(const std::vector<double>& actual, const std::vector<double>& expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(actual[i], expected[i], 1e-15) << "category " << i;
}

// Counts 2, 1, 3, 0 of 6 values over K = 4.
TEST(CategoricalModel, FitsTheEmpiricalFrequencies) {
    const CategoricalModel m = fitted({0, 2, 1, 2, 0, 2}, {.categories = 4});
    expect_probabilities(m.probabilities(), {2.0 / 6, 1.0 / 6, 3.0 / 6, 0.0});
    expect_probabilities(m.sampling_probabilities(1.0), m.probabilities());
    EXPECT_EQ(m.family(), "categorical");
}

// Add-alpha: (c_i + alpha) / (n + K alpha) = (c_i + 0.5) / 8.
TEST(CategoricalModel, SmoothingAddsAPseudoCount) {
    const CategoricalModel m = fitted({0, 2, 1, 2, 0, 2}, {.categories = 4, .smoothing = 0.5});
    expect_probabilities(m.probabilities(), {2.5 / 8, 1.5 / 8, 3.5 / 8, 0.5 / 8});
}

// Outside a study (categories = 0) K is 1 + the largest index seen, for each fit.
TEST(CategoricalModel, WithoutKItTakesTheLargestIndexSeen) {
    CategoricalModel m({.smoothing = 1.0});
    Rng rng(0);
    m.fit(column({3, 3}), rng);
    expect_probabilities(m.probabilities(), {1.0 / 6, 1.0 / 6, 1.0 / 6, 3.0 / 6});
    m.fit(column({1}), rng);
    expect_probabilities(m.probabilities(), {1.0 / 3, 2.0 / 3});
}

// p = (0.1, 0.4, 0.1, 0.4): top 1 is category 1 (tied with 3, lower index first); top 3 keeps
// 1, 3 and 0 (tied with 2); top 4 or more keeps everything.
TEST(CategoricalModel, TopKKeepsTheMostProbableCategoriesLowerIndexFirst) {
    const std::vector<double> data = {0, 1, 1, 1, 1, 2, 3, 3, 3, 3};
    expect_probabilities(fitted(data, {.top_k = 1}).sampling_probabilities(1.0), {0, 1, 0, 0});
    expect_probabilities(fitted(data, {.top_k = 3}).sampling_probabilities(1.0),
                         {1.0 / 9, 4.0 / 9, 0, 4.0 / 9});
    expect_probabilities(fitted(data, {.top_k = 4}).sampling_probabilities(1.0),
                         {0.1, 0.4, 0.1, 0.4});
    expect_probabilities(fitted(data, {.top_k = 9}).sampling_probabilities(1.0),
                         {0.1, 0.4, 0.1, 0.4});
    EXPECT_EQ(top_categories({0.1, 0.4, 0.1, 0.4}, 3), (std::vector<std::size_t>{1, 3, 0}));
    EXPECT_EQ(top_categories({0.3, 0.3}, 0), (std::vector<std::size_t>{0, 1}));
}

// The bias is a temperature: q_i proportional to p_i^(1/lambda). p = (0.2, 0.3, 0.5) at
// lambda = 0.5 gives (0.04, 0.09, 0.25) / 0.38; at lambda = 0.01 (p_i / p_max)^100 leaves
// (0.6)^100 = 6.5e-23 on category 1, no underflow to NaN.
TEST(CategoricalModel, BiasIsATemperature) {
    const CategoricalModel m = fitted({0, 1, 1, 2, 2, 2, 2, 2, 0, 1}, {});
    expect_probabilities(m.sampling_probabilities(0.5), {0.04 / 0.38, 0.09 / 0.38, 0.25 / 0.38});
    const std::vector<double> cold = m.sampling_probabilities(0.01);
    EXPECT_NEAR(cold[2], 1.0, 1e-15);
    EXPECT_NEAR(cold[1], std::pow(0.6, 100), 1e-30);
    // Top-k and the temperature together: the kept categories, tempered.
    const CategoricalModel both = fitted({0, 1, 1, 2, 2, 2, 2, 2, 0, 1}, {.top_k = 2});
    expect_probabilities(both.sampling_probabilities(0.5), {0, 0.09 / 0.34, 0.25 / 0.34});
    EXPECT_THROW(m.sampling_probabilities(0.0), ConfigError);
}

// 100000 samples: frequencies within 4 binomial standard errors of q; categories with q = 0
// (cut by top_k, or never seen) never appear.
TEST(CategoricalModel, SamplesFromItsSamplingDistribution) {
    const CategoricalModel m =
        fitted({0, 1, 1, 2, 2, 2, 4, 4, 4, 4}, {.categories = 6, .top_k = 3});
    const std::vector<double> q = m.sampling_probabilities(0.7);
    Rng rng(12);
    const std::size_t n = 100000;
    const Matrix x = m.sample(n, 0.7, rng);
    std::vector<double> counts(6, 0.0);
    for (Eigen::Index i = 0; i < x.rows(); ++i) counts[static_cast<std::size_t>(x(i, 0))] += 1;
    for (std::size_t k = 0; k < 6; ++k) {
        if (q[k] == 0.0) {
            EXPECT_EQ(counts[k], 0.0) << "category " << k;
            continue;
        }
        EXPECT_NEAR(counts[k] / n, q[k], 4.0 * std::sqrt(q[k] * (1 - q[k]) / n)) << k;
    }
    EXPECT_EQ(counts[0], 0.0);  // cut by top_k = 3
}

// Collapse is normal: data of one category gives a point mass, and every sample is it.
TEST(CategoricalModel, OneCategoryIsAPointMass) {
    CategoricalModel m({.categories = 3});
    Rng rng(0);
    const FitInfo info = m.fit(column({1, 1, 1}), rng);
    EXPECT_THAT(info.note, HasSubstr("single category"));
    expect_probabilities(m.probabilities(), {0, 1, 0});
    const Matrix x = m.sample(50, 0.3, rng);
    EXPECT_TRUE((x.array() == 1.0).all());
    EXPECT_DOUBLE_EQ(*m.mean_nll(column({1, 1})), 0.0);
    // A lost category has probability 0: no finite NLL, so the held-out score is left out.
    EXPECT_FALSE(m.mean_nll(column({1, 0})).has_value());
    EXPECT_TRUE(m.score_held_out(column({1, 0})).empty());
}

TEST(CategoricalModel, MeanNllOfTheFit) {
    const CategoricalModel m = fitted({0, 2, 1, 2, 0, 2}, {.categories = 4, .smoothing = 0.5});
    EXPECT_DOUBLE_EQ(*m.mean_nll(column({2, 3})), -(std::log(3.5 / 8) + std::log(0.5 / 8)) / 2);
    // Fitted without K: a held-out index beyond the fit's is a lost category, not an error.
    const CategoricalModel small = fitted({0, 1}, {});
    EXPECT_FALSE(small.mean_nll(column({5})).has_value());
}

TEST(CategoricalModel, RejectsDataThatIsNotCategories) {
    const auto error_of = [](const Matrix& x, CategoricalOptions options) {
        CategoricalModel m(options);
        Rng rng(0);
        try {
            m.fit(x, rng);
        } catch (const DataError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    EXPECT_THAT(error_of(column({0, 1.5}), {}), HasSubstr("1.5 is not a category index"));
    EXPECT_THAT(error_of(column({0, -1}), {}), HasSubstr("-1 is not a category index"));
    EXPECT_THAT(error_of(column({0, 4}), {.categories = 4}),
                HasSubstr("an integer in 0..3, model.categories = 4"));
    EXPECT_THAT(error_of(Matrix::Zero(3, 2), {}), HasSubstr("2 columns"));
    EXPECT_THROW(CategoricalModel({.smoothing = -1.0}), ConfigError);
}

TEST(CategoricalModel, IsRegisteredWithItsKeys) {
    const ModelFamily* family = find_model_family("categorical");
    ASSERT_NE(family, nullptr);
    EXPECT_TRUE(family->models_vectors());
    EXPECT_FALSE(family->models_text());
    Params p = family->defaults(false);
    EXPECT_EQ(p.get_int("categories"), 0);
    EXPECT_EQ(p.get_double("smoothing"), 0.0);
    EXPECT_EQ(p.get_int("top_k"), 0);
    p.set("categories", std::int64_t{5});
    p.set("top_k", std::int64_t{2});
    const auto model = family->make_vectors(p);
    const auto* categorical = dynamic_cast<const CategoricalModel*>(model.get());
    ASSERT_NE(categorical, nullptr);
    EXPECT_EQ(categorical->options().categories, 5u);
    EXPECT_EQ(categorical->options().top_k, 2u);
}

}  // namespace
}  // namespace madlab
