#include "madlab/core/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

namespace madlab {
namespace {

TEST(Rng, SameSeedSameStream) {
    Rng a(42), b(42), c(43);
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const auto x = a.next_u64();
        EXPECT_EQ(x, b.next_u64());
        differs |= (x != c.next_u64());
    }
    EXPECT_TRUE(differs);
}

TEST(Rng, StateRoundTripContinuesTheStream) {
    Rng a(7);
    for (int i = 0; i < 10; ++i) a.normal();
    const Rng::State saved = a.state();
    std::vector<double> expected;
    for (int i = 0; i < 20; ++i) expected.push_back(a.normal());
    Rng b(0);
    b.set_state(saved);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(b.normal(), expected[i]);
}

TEST(Rng, StreamsDependOnEveryTagAndItsOrder) {
    std::set<std::uint64_t> first_words;
    first_words.insert(Rng::stream({1, 2, 3}).next_u64());
    first_words.insert(Rng::stream({1, 3, 2}).next_u64());
    first_words.insert(Rng::stream({1, 2}).next_u64());
    first_words.insert(Rng::stream({1, 2, 4}).next_u64());
    first_words.insert(Rng::stream({hash_tag("train")}).next_u64());
    first_words.insert(Rng::stream({hash_tag("test")}).next_u64());
    EXPECT_EQ(first_words.size(), 6u);
    EXPECT_EQ(Rng::stream({5, 6}).next_u64(), Rng::stream({5, 6}).next_u64());
}

TEST(Rng, UniformMomentsAndRange) {
    Rng rng(1);
    const int n = 200000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
        const double u = rng.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        sum += u;
        sum2 += u * u;
    }
    // Mean 1/2 with standard error sqrt(1/12/n) = 6.5e-4: 5 standard errors.
    EXPECT_NEAR(sum / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
    EXPECT_NEAR(sum2 / n - std::pow(sum / n, 2), 1.0 / 12, 2e-3);
}

TEST(Rng, UniformIntIsUniform) {
    Rng rng(3);
    const int k = 7, n = 70000;
    std::vector<int> counts(k, 0);
    for (int i = 0; i < n; ++i) {
        const auto v = rng.uniform_int(k);
        ASSERT_LT(v, static_cast<std::uint64_t>(k));
        ++counts[v];
    }
    // Pearson chi-square with 6 degrees of freedom; 22.46 is its 0.999 quantile.
    double chi2 = 0;
    for (int c : counts) chi2 += std::pow(c - n / double(k), 2) / (n / double(k));
    EXPECT_LT(chi2, 22.46);
}

TEST(Rng, NormalMomentsMatchTheStandardNormal) {
    Rng rng(11);
    const int n = 1000000;
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    int beyond3 = 0, beyond_tail = 0;
    for (int i = 0; i < n; ++i) {
        const double z = rng.normal();
        m1 += z;
        m2 += z * z;
        m3 += z * z * z;
        m4 += z * z * z * z;
        beyond3 += std::fabs(z) > 3.0;
        beyond_tail += std::fabs(z) > 3.442619855899;  // the ziggurat's tail region
    }
    m1 /= n, m2 /= n, m3 /= n, m4 /= n;
    // Standard errors at n = 1e6: mean 1e-3, variance sqrt(2)e-3, third moment sqrt(15)e-3,
    // fourth moment sqrt(96)e-3. Tolerances are 5 standard errors.
    EXPECT_NEAR(m1, 0.0, 5e-3);
    EXPECT_NEAR(m2, 1.0, 5 * 1.414e-3);
    EXPECT_NEAR(m3, 0.0, 5 * 3.873e-3);
    EXPECT_NEAR(m4, 3.0, 5 * 9.8e-3);
    // P(|Z| > 3) = 0.0026998: binomial sd sqrt(n p) = 52 counts.
    EXPECT_NEAR(beyond3, 2699.8, 5 * 52);
    // P(|Z| > 3.4426) = 5.761e-4: binomial sd = 24 counts. Checks the tail sampler.
    EXPECT_NEAR(beyond_tail, 576.1, 5 * 24);
}

TEST(Rng, NormalCdfMatchesAtManyPoints) {
    // Kolmogorov-Smirnov style check on a grid: empirical CDF within 5 binomial sds everywhere.
    Rng rng(5);
    const int n = 400000;
    std::vector<double> z(n);
    for (auto& v : z) v = rng.normal();
    std::sort(z.begin(), z.end());
    for (double x = -4.0; x <= 4.0; x += 0.25) {
        const double p = 0.5 * std::erfc(-x / std::sqrt(2.0));
        const double empirical = double(std::upper_bound(z.begin(), z.end(), x) - z.begin()) / n;
        EXPECT_NEAR(empirical, p, 5 * std::sqrt(p * (1 - p) / n) + 1e-6) << "at x = " << x;
    }
}

TEST(Rng, SampleWithoutReplacementIsDistinctAndUniform) {
    Rng rng(9);
    const auto idx = sample_without_replacement(100, 100, rng);
    std::set<std::size_t> unique(idx.begin(), idx.end());
    EXPECT_EQ(unique.size(), 100u);
    std::vector<int> first_counts(10, 0);
    for (int rep = 0; rep < 20000; ++rep) ++first_counts[sample_without_replacement(10, 3, rng)[0]];
    for (int c : first_counts) EXPECT_NEAR(c, 2000, 5 * std::sqrt(2000 * 0.9));
}

}  // namespace
}  // namespace madlab
