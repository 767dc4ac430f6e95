// Gerstgrasser et al. 2024 ("Is Model Collapse Inevitable?", arXiv 2404.01413, section 3;
// SCIENCE.md section 5): linear regression on a fixed design, replace vs accumulate, run as real
// chains (Chain with the linear-regression source, family and metric) and checked against the
// closed forms.
//
// Setting: a design X of T rows and d features (generation 0's real rows, x ~ N(0, I_d)), labels
// y_0 = X w* + e_0, e_k ~ N(0, sigma^2 I_T) independent, and a fit that knows sigma
// (model.noise = sigma). Write A = (X'X)^-1 X' and M = (X'X)^-1, so A e ~ N(0, sigma^2 M) and
// u_t = w_t - w* is the error of generation t.
//   Replace: generation t >= 1 fits the labels y_t = X w_{t-1} + e_t, so w_t = w_{t-1} + A e_t
//     and u_t = sum_{k=0}^{t} A e_k ~ N(0, (t+1) sigma^2 M):
//       E[|u_t|^2 | X] = (t+1) sigma^2 tr(M).
//     (Gerstgrasser et al.'s iteration n is the n-th fit, madlab's generation n - 1: their
//     n sigma^2 d / (T - d - 1) is generation t = n - 1 here.)
//   Accumulate: generation t fits the pool [X; X; ...] (t+1 copies, the real X first; the
//     family's samples relabel the first T rows of its training set, which are X) with labels
//     y_0, then y_k = X w_{k-1} + e_k, so w_t = (1/(t+1)) sum_k A y_k. Then
//     (t+1) u_t = sum_{k<=t} A e_k + sum_{k=1}^{t} u_{k-1}, and subtracting t u_{t-1} gives
//     u_t = u_{t-1} + A e_t / (t+1): u_t = sum_{k=0}^{t} A e_k / (k+1) ~ N(0, H_t sigma^2 M) with
//     H_t = sum_{i=1}^{t+1} 1/i^2 < pi^2/6:
//       E[|u_t|^2 | X] = H_t sigma^2 tr(M)  <=  (pi^2/6) sigma^2 tr(M).
//   Over Gaussian designs, E[M] = I / (T - d - 1) (the mean of an inverse Wishart), so
//     E[tr(M)] = d / (T - d - 1).
// The metric's test_error is exactly |u_t|^2 (x ~ N(0, I) and no intercept).
//
// Tolerances (4 standard errors, fixed seeds):
//   conditional on X: R_t = |u_t|^2 / (sigma^2 tr(M)) has E[R_t | X] = c_t (c_t = t+1 or H_t)
//     for every design, and, u_t being Gaussian given X, Var[R_t | X] = 2 c_t^2 tr(M^2) /
//     tr(M)^2 exactly (Var |z|^2 = 2 tr(S^2) for z ~ N(0, S)). The seeds are independent, so the
//     mean of R_t over S seeds has variance sum_s Var[R_t | X_s] / S^2, known per seed;
//   unconditional: the mean of |u_t|^2 against c_t sigma^2 d / (T - d - 1), with the empirical
//     standard error over seeds (the inverse Wishart's spread enters too).

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "../test_support.h"
#include "madlab/data/regression_source.h"
#include "madlab/loop/chain.h"
#include "madlab/metrics/regression_metrics.h"
#include "madlab/models/linear_regression.h"

using madlab::testing::value_of;

namespace madlab {
namespace gerstgrasser_closed_form_test {

constexpr int kFeatures = 5;       // d
constexpr std::size_t kRows = 20;  // T
constexpr double kSigma = 1.5;     // the label noise, known to the fit
constexpr int kGenerations = 20;   // generations 0..20
constexpr int kSeeds = 2000;

// Per seed: tr(M), tr(M^2) of its design and test_error at every generation.
struct SeedRun {
    double trace = 0.0;
    double trace_squared = 0.0;
    std::vector<double> test_error;
};

std::vector<SeedRun> run_chains(const std::string& preset) {
    Vector w_star(kFeatures);
    w_star << 1.0, -0.5, 0.25, 2.0, 0.0;
    const RegressionSource source(w_star, kSigma);
    LinearRegressionOptions options;
    options.noise = kSigma;
    const LinearRegressionModel model(options);
    const RegressionMetric metric;
    std::vector<SeedRun> runs;
    for (int seed = 0; seed < kSeeds; ++seed) {
        ChainSpec spec;
        spec.source = &source;
        spec.prototype = &model;
        spec.metrics = {&metric};
        spec.schedule = schedule_preset(preset, kRows);
        spec.generations = kGenerations;
        spec.n_eval = 2;
        spec.n_test = 2;
        spec.seed = static_cast<std::uint64_t>(seed);
        Chain chain(spec);
        SeedRun run;
        while (!chain.done()) {
            const GenerationResult r = chain.step();
            if (r.generation == 0) {
                const Eigen::MatrixXd x = chain.last_training_set().data.leftCols(kFeatures);
                const Eigen::MatrixXd m = (x.transpose() * x).inverse();
                run.trace = m.trace();
                run.trace_squared = (m * m).trace();
            }
            // The design stays generation 0's real X: the first T rows of every training set.
            const Matrix& train = chain.last_training_set().data;
            EXPECT_EQ(train.rows(), static_cast<Eigen::Index>(
                                        kRows * (preset == "accumulate" ? r.generation + 1 : 1)));
            run.test_error.push_back(value_of(r.values, "test_error"));
        }
        runs.push_back(std::move(run));
    }
    return runs;
}

double replace_factor(int t) { return t + 1.0; }
double accumulate_factor(int t) {
    double h = 0.0;
    for (int i = 1; i <= t + 1; ++i) h += 1.0 / (static_cast<double>(i) * i);
    return h;
}

void check_closed_forms(const std::vector<SeedRun>& runs, double (*factor)(int),
                        const std::string& what) {
    const double s = static_cast<double>(runs.size());
    const double d = kFeatures, T = kRows, sigma2 = kSigma * kSigma;
    for (int t : {0, 1, 2, 5, 10, 20}) {
        const double c = factor(t);
        // Conditional on each seed's design.
        double ratio_sum = 0.0, ratio_variance = 0.0;
        for (const SeedRun& r : runs) {
            ratio_sum += r.test_error[t] / (sigma2 * r.trace);
            ratio_variance += 2.0 * c * c * r.trace_squared / (r.trace * r.trace);
        }
        EXPECT_NEAR(ratio_sum / s, c, 4.0 * std::sqrt(ratio_variance) / s)
            << what << " E[|w_t - w*|^2 / (sigma^2 tr((X'X)^-1))] at t = " << t;
        // Over Gaussian designs.
        double sum = 0.0, sum_sq = 0.0;
        for (const SeedRun& r : runs) {
            sum += r.test_error[t];
            sum_sq += r.test_error[t] * r.test_error[t];
        }
        const double mean = sum / s;
        const double se = std::sqrt((sum_sq / s - mean * mean) / (s - 1.0));
        EXPECT_NEAR(mean, c * sigma2 * d / (T - d - 1.0), 4.0 * se)
            << what << " E[test_error] at t = " << t;
    }
}

TEST(GerstgrasserClosedForms, ReplaceGrowsLinearly) {
    check_closed_forms(run_chains("fully-synthetic"), replace_factor, "replace");
}

TEST(GerstgrasserClosedForms, AccumulateStaysBelowPiSquaredOverSix) {
    const std::vector<SeedRun> runs = run_chains("accumulate");
    check_closed_forms(runs, accumulate_factor, "accumulate");
    EXPECT_LT(accumulate_factor(kGenerations), std::numbers::pi * std::numbers::pi / 6.0);
    // The bound itself, on the data: the mean ratio at the last generation is not above pi^2/6
    // by more than 4 standard errors (its conditional variance as above).
    const double c = std::numbers::pi * std::numbers::pi / 6.0;
    double ratio_sum = 0.0, ratio_variance = 0.0;
    for (const SeedRun& r : runs) {
        ratio_sum += r.test_error[kGenerations] / (kSigma * kSigma * r.trace);
        ratio_variance += 2.0 * c * c * r.trace_squared / (r.trace * r.trace);
    }
    EXPECT_LT(ratio_sum / kSeeds, c + 4.0 * std::sqrt(ratio_variance) / kSeeds);
}

}  // namespace gerstgrasser_closed_form_test
}  // namespace madlab
