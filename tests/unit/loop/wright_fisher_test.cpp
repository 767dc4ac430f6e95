// The categorical family in a fully-synthetic (replace) chain is the neutral Wright-Fisher model
// of population genetics (Fisher 1930, Wright 1931): with n_real_initial = n_synthetic = n and no
// smoothing, generation 0 fits the frequencies of n real draws from p, and generation t + 1 fits
// the frequencies of n draws from generation t's fit, so the count X_t of a category is a Markov
// chain with X_0 ~ Binomial(n, p_i) and X_{t+1} | X_t ~ Binomial(n, X_t / n). These tests run
// real chains (loop/chain.h with the categorical source, family and metric) over many seeds and
// hold them to the exact theory of that Markov chain. Tolerances are 4 standard errors of the
// Monte Carlo mean (about one false alarm in 16000 per assertion); seeds are fixed.

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <string>
#include <vector>

#include "../test_support.h"
#include "madlab/data/categorical_source.h"
#include "madlab/loop/chain.h"
#include "madlab/metrics/categorical_metrics.h"
#include "madlab/models/categorical.h"

using madlab::testing::value_of;

namespace madlab {
namespace {

struct MeanEstimate {
    double mean = 0.0;
    double se = 0.0;
};

MeanEstimate mean_se(const std::vector<double>& v) {
    const double n = static_cast<double>(v.size());
    double mean = 0.0;
    for (double x : v) mean += x;
    mean /= n;
    double ss = 0.0;
    for (double x : v) ss += (x - mean) * (x - mean);
    return {mean, std::sqrt(ss / (n - 1.0) / n)};
}

// A fully-synthetic chain of the categorical family (smoothing 0, K = the source's) on `source`.
struct WrightFisher {
    CategoricalSource source;
    CategoricalModel model;
    CategoricalMetric metric;
    WrightFisher(std::vector<double> p, std::size_t n_per_generation)
        : source(std::move(p)), model({.categories = source.categories()}), n(n_per_generation) {}
    std::size_t n;

    Chain chain(std::uint64_t seed, int generations) const {
        ChainSpec s;
        s.source = &source;
        s.prototype = &model;
        s.metrics = {&metric};
        s.schedule.n_real_initial = n;
        s.schedule.n_synthetic = n;
        s.generations = generations;
        s.n_eval = 2;  // the metric reads the model's probabilities, not its samples
        s.n_test = 2;
        s.seed = seed;
        return Chain(s);
    }
};

const std::vector<double>& fitted_probabilities(const Chain& chain) {
    return dynamic_cast<const CategoricalModel&>(*chain.last_model()).probabilities();
}

std::size_t kept(const std::vector<double>& p) {
    std::size_t k = 0;
    for (double v : p) k += v > 0.0;
    return k;
}

// (a) Heterozygosity decay. With x the frequencies of n draws from a distribution of collision
// probability C, E[sum x_i^2] = sum (p_i^2 + p_i (1 - p_i) / n) = C + (1 - C) / n, so
// E[1 - C'] = (1 - C)(1 - 1/n): each fit multiplies the expected heterozygosity by (1 - 1/n)
// (Wright 1931). Generation t is the (t + 1)-th fit, so E[1 - C_t] = (1 - C)(1 - 1/n)^(t+1)
// exactly, C_t being the `collision` the metric records. p = (0.4, 0.3, 0.2, 0.1): C = 0.3;
// n = 20: 0.665, 0.515 and 0.398 at t = 0, 5, 10. 1 - C_t lies in [0, 1], sd below 0.2:
// 4000 seeds give a standard error near 0.003, while the off-by-one (1 - 1/n)^t would be off by
// 5% (0.02 at t = 10, about 7 standard errors).
TEST(WrightFisher, ExpectedHeterozygosityDecaysByOneMinusOneOverN) {
    const WrightFisher wf({0.4, 0.3, 0.2, 0.1}, 20);
    const double c = 0.16 + 0.09 + 0.04 + 0.01;
    const int generations = 10;
    const int seeds = 4000;
    std::vector<std::vector<double>> heterozygosity(generations + 1);
    for (int seed = 0; seed < seeds; ++seed) {
        Chain chain = wf.chain(static_cast<std::uint64_t>(seed), generations);
        while (!chain.done()) {
            const GenerationResult r = chain.step();
            heterozygosity[static_cast<std::size_t>(r.generation)].push_back(
                1.0 - value_of(r.values, "collision"));
        }
    }
    for (int t : {0, 1, 5, 10}) {
        const double expected = (1.0 - c) * std::pow(1.0 - 1.0 / 20, t + 1);
        const MeanEstimate e = mean_se(heterozygosity[static_cast<std::size_t>(t)]);
        EXPECT_NEAR(e.mean, expected, 4.0 * e.se) << "E[1 - C_" << t << "]";
    }
}

// The absorbing Markov chain of one category's count among n (two categories, so the other's
// count is n - X): transient states 1..n-1, Q(i, j) = Binomial(n, i/n) at j. With the
// fundamental matrix N = (I - Q)^-1 (Kemeny & Snell 1960):
//   tau = N 1:      expected generations until the count hits 0 or n (one category lost);
//   (N h) / h:      expected generations until it hits 0, given that it does, with
//                   h(c) = 1 - c/n the probability of hitting 0 first (X_t / n is a martingale).
struct CountChain {
    Eigen::VectorXd tau;        // tau(c) at index c - 1
    Eigen::VectorXd loss_time;  // E[T | X_0 = c, lost] at index c - 1
    Eigen::VectorXd weighted;   // (N h)(c) = E[T 1{lost} | X_0 = c]
};

double binomial_pmf(int n, int k, double p) {
    return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) +
                    k * std::log(p) + (n - k) * std::log1p(-p));
}

CountChain solve_count_chain(int n) {
    const int m = n - 1;
    Eigen::MatrixXd q(m, m);
    for (int i = 1; i < n; ++i)
        for (int j = 1; j < n; ++j)
            q(i - 1, j - 1) = binomial_pmf(n, j, static_cast<double>(i) / n);
    const Eigen::MatrixXd fundamental =
        (Eigen::MatrixXd::Identity(m, m) - q).partialPivLu().inverse();
    Eigen::VectorXd h(m);
    for (int c = 1; c < n; ++c) h(c - 1) = 1.0 - static_cast<double>(c) / n;
    CountChain out;
    out.tau = fundamental * Eigen::VectorXd::Ones(m);
    out.weighted = fundamental * h;
    out.loss_time = out.weighted.cwiseQuotient(h);
    return out;
}

// The exact reference agrees with the diffusion approximation where that holds (large n): for
// a haploid population of n, E[T] ~ -2n (p ln p + (1 - p) ln(1 - p)) until one allele is lost or
// fixed, and E[T | loss] ~ -2n p ln p / (1 - p) (Kimura & Ohta 1969, with 2N -> n). n = 100,
// p = 0.3: exact 120.23 and 101.34 against 122.17 and 103.20 (within 2%); at n = 10, c = 3 the
// exact values 11.03 and 9.22 are 10% below the diffusion's 12.22 and 10.32.
TEST(WrightFisher, ExactCountChainApproachesTheDiffusionApproximation) {
    const int n = 100, c = 30;
    const double p = 0.3;
    const CountChain exact = solve_count_chain(n);
    const double diffusion = -2.0 * n * (p * std::log(p) + (1 - p) * std::log(1 - p));
    const double diffusion_loss = -2.0 * n * p * std::log(p) / (1 - p);
    EXPECT_NEAR(exact.tau(c - 1), diffusion, 0.02 * diffusion);
    EXPECT_NEAR(exact.loss_time(c - 1), diffusion_loss, 0.02 * diffusion_loss);
    // From 1 of 2 (n = 2): each generation ends with probability 1/2, so E[T] = 2.
    EXPECT_NEAR(solve_count_chain(2).tau(0), 2.0, 1e-12);
}

// (b) Time to lose a category. p = (0.3, 0.7), n = 10, run each chain until one category is
// lost; T = that generation (0 when the real draws already miss one). X_0 ~ Binomial(10, 0.3),
// so over all seeds E[T] = sum_c P(X_0 = c) tau(c) = 10.03, E[T 1{category 0 lost}] =
// sum_c P(X_0 = c) (N h)(c) = 5.75 and P(category 0 lost) = E[h(X_0)] = 0.7; given the count
// at generation 0 (the fit's probability times n), E[T | X_0 = 3] = tau(3) = 11.03 and
// E[T | X_0 = 3, lost] = 9.22. The sd of T is about 9.5; 4000 seeds give standard errors of
// 0.15 overall and 0.3 given X_0 = 3 (about 1070 seeds, 730 of them lose category 0).
TEST(WrightFisher, TimeToLoseACategoryMatchesTheAbsorbingMarkovChain) {
    const int n = 10;
    const double p0 = 0.3;
    const WrightFisher wf({p0, 1.0 - p0}, n);
    const CountChain exact = solve_count_chain(n);
    const int seeds = 4000;
    std::vector<double> times, weighted, lost0;
    std::vector<double> times_from_3, loss_times_from_3;
    for (int seed = 0; seed < seeds; ++seed) {
        // Absorption by generation 2000 fails with probability about 0.9^2000 (the second
        // eigenvalue of the Wright-Fisher chain is 1 - 1/n): never, in practice.
        Chain chain = wf.chain(static_cast<std::uint64_t>(seed), 2000);
        chain.step();
        const int x0 = static_cast<int>(std::lround(fitted_probabilities(chain)[0] * n));
        while (kept(fitted_probabilities(chain)) > 1 && !chain.done()) chain.step();
        ASSERT_EQ(kept(fitted_probabilities(chain)), 1u) << "seed " << seed;
        const double t = chain.next_generation() - 1;
        const bool lost = fitted_probabilities(chain)[0] == 0.0;
        times.push_back(t);
        weighted.push_back(lost ? t : 0.0);
        lost0.push_back(lost ? 1.0 : 0.0);
        if (x0 == 3) {
            times_from_3.push_back(t);
            if (lost) loss_times_from_3.push_back(t);
        }
    }
    double expected_t = 0.0, expected_weighted = 0.0;
    for (int c = 1; c < n; ++c) {
        expected_t += binomial_pmf(n, c, p0) * exact.tau(c - 1);
        expected_weighted += binomial_pmf(n, c, p0) * exact.weighted(c - 1);
    }
    const MeanEstimate t = mean_se(times), w = mean_se(weighted), l = mean_se(lost0);
    EXPECT_NEAR(t.mean, expected_t, 4.0 * t.se) << "E[T]";
    EXPECT_NEAR(w.mean, expected_weighted, 4.0 * w.se) << "E[T 1{lost}]";
    EXPECT_NEAR(l.mean, 1.0 - p0, 4.0 * l.se) << "P(category 0 lost)";
    const MeanEstimate t3 = mean_se(times_from_3), l3 = mean_se(loss_times_from_3);
    EXPECT_NEAR(t3.mean, exact.tau(2), 4.0 * t3.se) << "E[T | X_0 = 3]";
    EXPECT_NEAR(l3.mean, exact.loss_time(2), 4.0 * l3.se) << "E[T | X_0 = 3, lost]";
    // The references, for the comment above.
    EXPECT_NEAR(expected_t, 10.031, 1e-3);
    EXPECT_NEAR(exact.tau(2), 11.031, 1e-3);
    EXPECT_NEAR(exact.loss_time(2), 9.219, 1e-3);
}

// (c) Zero is absorbing: without smoothing a category the fit gives probability 0 never returns,
// so the set of kept categories only shrinks, and a replace chain ends on one category.
// p = (0.4, 0.3, 0.2, 0.1), n = 20: one category is left after a few dozen generations; the
// chance that one of 200 chains still holds two after 3000 is below 200 * 3 * 0.95^3000.
TEST(WrightFisher, ZeroIsAbsorbingAndAReplaceChainEndsOnOneCategory) {
    const WrightFisher wf({0.4, 0.3, 0.2, 0.1}, 20);
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        Chain chain = wf.chain(seed, 3000);
        chain.step();
        std::vector<double> previous = fitted_probabilities(chain);
        while (kept(previous) > 1 && !chain.done()) {
            const GenerationResult r = chain.step();
            const std::vector<double>& now = fitted_probabilities(chain);
            for (std::size_t i = 0; i < now.size(); ++i)
                if (previous[i] == 0.0) {
                    ASSERT_EQ(now[i], 0.0) << "seed " << seed << " category " << i;
                }
            EXPECT_EQ(value_of(r.values, "categories_kept"), static_cast<double>(kept(now)));
            previous = now;
        }
        ASSERT_EQ(kept(previous), 1u) << "seed " << seed;
        // The single category's samples are all that category.
        const Matrix& samples = chain.last_samples();
        EXPECT_TRUE((samples.array() == samples(0, 0)).all());
    }
}

// Hutter's (2021) memorisation model, which Dohmatob et al. 2024 use for their scaling laws: a
// model fitted on T i.i.d. draws from p misses category i with probability (1 - p_i)^T, so its
// lost real mass has E[lost_mass] = sum_i p_i (1 - p_i)^T exactly. Zipf, K = 50, beta = 1.2,
// T = 100: 0.1289. lost_mass lies in [0, 1] with sd about 0.03; 3000 seeds of generation 0.
TEST(WrightFisher, LostMassAtGenerationZeroIsHuttersExpectation) {
    const CategoricalSource zipf = make_zipf_source(50, 1.2);
    const std::size_t t = 100;
    double expected = 0.0;
    for (double p : zipf.probabilities()) expected += p * std::pow(1.0 - p, static_cast<double>(t));
    EXPECT_NEAR(expected, 0.1289, 1e-4);
    const WrightFisher wf(zipf.probabilities(), t);
    std::vector<double> lost;
    for (std::uint64_t seed = 0; seed < 3000; ++seed) {
        Chain chain = wf.chain(seed, 0);
        lost.push_back(value_of(chain.step().values, "lost_mass"));
    }
    const MeanEstimate e = mean_se(lost);
    EXPECT_NEAR(e.mean, expected, 4.0 * e.se) << "E[lost_mass], T = " << t;
}

}  // namespace
}  // namespace madlab
