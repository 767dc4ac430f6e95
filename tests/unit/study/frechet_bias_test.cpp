// The Frechet distance under sampling bias, at the level of a study: a gaussian model scored by
// the exact closed form and a 1-component gmm of the same data scored from its samples must
// measure the same distribution, N(mu, lambda Sigma) (metrics/frechet.h). Before the exact form
// took lambda into account they disagreed by far more than the sampling error.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab {
namespace {

constexpr int kSeeds = 20;
constexpr double kN = 5000.0;  // metrics.n_test = metrics.n_eval

// Generation 0 of both settings is fitted to the same 200 real points (settings share their
// real data seed by seed), so the gaussian's fit and the 1-component gmm's fit (EM with one
// component is the MLE, plus gmm's reg_covar = 1e-6) are the same Gaussian N(mu, Sigma) up to
// 1e-6, and both sample N(mu, lambda Sigma).
const char* kStudy = R"(
[study]
name = "frechet-bias"
seeds = 20
generations = 1
[source]
kind = "gaussian"
dim = 2
[model]
family = "gaussian"
bias = 0.5
[schedule]
n = 200
[metrics]
list = ["frechet"]
n_eval = 5000
n_test = 5000
[[settings]]
name = "gaussian"
[[settings]]
name = "gmm1"
model = { family = "gmm", components = 1 }
)";

TEST(FrechetUnderBias, AGaussianModelAndAOneComponentMixtureAgree) {
    const StudyConfig study = parse_study(kStudy, "frechet_bias.toml");
    RunOptions options;
    options.progress = false;
    const StudyResult result = run_study(study, options);
    std::map<std::string, std::map<std::uint64_t, double>> frechet;  // setting -> seed -> value
    for (const auto& r : result.records)
        if (r.metric == "frechet" && r.generation == 0) frechet[r.setting][r.seed] = r.value;
    ASSERT_EQ(frechet["gaussian"].size(), static_cast<std::size_t>(kSeeds));
    ASSERT_EQ(frechet["gmm1"].size(), static_cast<std::size_t>(kSeeds));

    // D_s = (sample estimate of the gmm) - (exact value of the gaussian), per seed. Given the fit,
    // the sample estimate between N = 5000 test points of N(0, I) and M = 5000 samples of
    // N(mu, Sigma_b), Sigma_b = lambda Sigma, has
    // - a bias: the mean term adds tr(I)/N + tr(Sigma_b)/M in expectation, and the trace term
    //   at most half as much again (E[(s_x - s_y)^2] grows by sigma_x^2/(2N) + sigma_y^2/(2M)
    //   per direction), so 0 <= bias <= 1.5 (d/N + lambda tr(Sigma)/M), about 1.5 (2 + 1)/5000
    //   = 9e-4 with tr(Sigma) ~ 2 (the bound below allows tr(Sigma) up to 1.5 d, 7 standard
    //   deviations of the fit's trace above d);
    // - a standard deviation, to first order (delta method, per direction i)
    //   2 |sigma_x - sigma_y| sqrt(sigma_x^2/(2N) + sigma_y^2/(2M)) = 2 (1 - 0.707) 0.0122 ~
    //   0.007 per direction, about 0.011 with both directions and the mean term.
    // The mean of D over the seeds must then lie within the bias bound plus 4 of its standard
    // errors (estimated from the seeds themselves, about 0.011 / sqrt(20) = 0.0025). Before the
    // exact form used lambda, D was about (1 - sqrt(lambda))^2 tr(I) = 0.17 on every seed.
    const double lambda = 0.5, d = 2.0;
    std::vector<double> diff;
    for (const auto& [seed, exact] : frechet["gaussian"])
        diff.push_back(frechet["gmm1"][seed] - exact);
    double mean = 0.0;
    for (double v : diff) mean += v;
    mean /= static_cast<double>(diff.size());
    double var = 0.0;
    for (double v : diff) var += (v - mean) * (v - mean);
    var /= static_cast<double>(diff.size() - 1);
    const double standard_error = std::sqrt(var / static_cast<double>(diff.size()));
    const double bias_bound = 1.5 * (d / kN + lambda * 1.5 * d / kN);  // tr(Sigma) <= 1.5 d
    EXPECT_LT(standard_error, 0.005) << "the sampling error is larger than derived";
    EXPECT_LT(std::abs(mean), bias_bound + 4.0 * standard_error)
        << "mean difference " << mean << ", standard error " << standard_error;
    // The exact value itself is near the closed form of a perfect fit, (1 - sqrt(lambda))^2 d =
    // 0.172: the fit of 200 points moves each variance by about sqrt(2/200) = 10%, so each
    // direction's term by about 0.02, and the mean adds |mu|^2 ~ d/200 = 0.01.
    for (const auto& [seed, exact] : frechet["gaussian"])
        EXPECT_NEAR(exact, std::pow(1.0 - std::sqrt(lambda), 2) * d, 0.08) << "seed " << seed;
}

}  // namespace
}  // namespace madlab
