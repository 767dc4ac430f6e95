#include "madlab/models/gmm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "madlab/core/error.h"

namespace madlab {
namespace {

struct TrueMixture {
    std::vector<double> weights;
    std::vector<Vector> means;
    std::vector<SquareMatrix> covariances;
};

Vector vec2(double a, double b) {
    Vector v(2);
    v << a, b;
    return v;
}

SquareMatrix mat2(double a, double b, double c) {
    SquareMatrix m(2, 2);
    m << a, b, b, c;
    return m;
}

TrueMixture three_components(double spread) {
    TrueMixture t;
    t.weights = {0.5, 0.3, 0.2};
    t.means = {vec2(0, 0), vec2(spread, spread), vec2(-spread, spread)};
    t.covariances = {mat2(1.0, 0.3, 0.5), mat2(0.5, 0.0, 2.0), mat2(1.0, -0.5, 1.0)};
    return t;
}

// n draws from the mixture; labels receives each draw's component.
Matrix draw(const TrueMixture& t, Eigen::Index n, Rng& rng, std::vector<int>* labels = nullptr) {
    const Eigen::Index d = t.means[0].size();
    Matrix x(n, d);
    Vector z(d);
    for (Eigen::Index i = 0; i < n; ++i) {
        const double u = rng.uniform();
        int k = 0;
        double acc = t.weights[0];
        while (u >= acc && k + 1 < static_cast<int>(t.weights.size())) acc += t.weights[++k];
        const SquareMatrix l = t.covariances[static_cast<std::size_t>(k)].llt().matrixL();
        for (Eigen::Index j = 0; j < d; ++j) z(j) = rng.normal();
        x.row(i) = (t.means[static_cast<std::size_t>(k)] + l * z).transpose();
        if (labels) labels->push_back(k);
    }
    return x;
}

// The 2-D 25-mode grid of the benchmarks: means 2 * {-2..2}^2, standard deviation 0.05.
Matrix grid25(Eigen::Index n, Rng& rng) {
    Matrix x(n, 2);
    for (Eigen::Index i = 0; i < n; ++i) {
        const auto k = static_cast<int>(rng.uniform_int(25));
        x(i, 0) = 2.0 * (k / 5 - 2) + 0.05 * rng.normal();
        x(i, 1) = 2.0 * (k % 5 - 2) + 0.05 * rng.normal();
    }
    return x;
}

GmmModel make(int components, int n_init = 1, double tol = 1e-3, int max_iter = 100,
              double reg_covar = 1e-6) {
    GmmOptions o;
    o.components = components;
    o.n_init = n_init;
    o.tol = tol;
    o.max_iter = max_iter;
    o.reg_covar = reg_covar;
    return GmmModel(o);
}

// Index of the fitted component whose mean is nearest to `mean`.
Eigen::Index nearest_component(const GmmModel& m, const Vector& mean) {
    Eigen::Index best = 0;
    (m.means().rowwise() - mean.transpose()).rowwise().squaredNorm().minCoeff(&best);
    return best;
}

// Naive mixture density: sum_k w_k (2 pi)^(-d/2) det(Sigma_k)^(-1/2) exp(-q_k / 2).
double naive_mean_nll(const GmmModel& m, const Matrix& x) {
    const auto d = static_cast<double>(x.cols());
    double total = 0.0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        double p = 0.0;
        for (Eigen::Index k = 0; k < m.weights().size(); ++k) {
            const SquareMatrix& s = m.covariances()[static_cast<std::size_t>(k)];
            const Vector diff = (x.row(i) - m.means().row(k)).transpose();
            const double q = diff.dot(s.inverse() * diff);
            p += m.weights()(k) * std::exp(-0.5 * q) /
                 std::sqrt(std::pow(2.0 * std::numbers::pi, d) * s.determinant());
        }
        total -= std::log(p);
    }
    return total / static_cast<double>(x.rows());
}

TEST(GmmModel, EmRecoversAKnownMixture) {
    const TrueMixture truth = three_components(5.0);
    Rng rng(1);
    const Eigen::Index n = 5000;
    const Matrix x = draw(truth, n, rng);
    GmmModel model = make(3, 3, 1e-6);
    const FitInfo info = model.fit(x, rng);
    EXPECT_TRUE(info.converged);
    EXPECT_FALSE(info.degenerate);
    EXPECT_NEAR(model.weights().sum(), 1.0, 1e-12);
    for (std::size_t c = 0; c < 3; ++c) {
        const Eigen::Index k = nearest_component(model, truth.means[c]);
        const double w = truth.weights[c];
        const SquareMatrix& s = truth.covariances[c];
        const double n_c = w * static_cast<double>(n);
        // Sampling tolerances (the components overlap little, so EM is close to the labelled
        // estimates): 4 standard errors of a proportion, a mean and a Gaussian covariance.
        EXPECT_NEAR(model.weights()(k), w, 4.0 * std::sqrt(w * (1 - w) / n)) << c;
        for (Eigen::Index j = 0; j < 2; ++j) {
            EXPECT_NEAR(model.means()(k, j), truth.means[c](j), 4.0 * std::sqrt(s(j, j) / n_c))
                << c;
            for (Eigen::Index l = 0; l < 2; ++l) {
                const double se = std::sqrt((s(j, j) * s(l, l) + s(j, l) * s(j, l)) / n_c);
                EXPECT_NEAR(model.covariances()[static_cast<std::size_t>(k)](j, l), s(j, l),
                            4.0 * se)
                    << c;
            }
        }
    }
}

TEST(GmmModel, LowerBoundNeverDecreases) {
    // EM's bound is the mean log-likelihood of the parameters before each M-step, which EM
    // cannot decrease (Dempster et al. 1977); reg_covar = 1e-6 on unit-scale data perturbs the
    // M-step far less than the tolerance below.
    const TrueMixture truth = three_components(2.0);  // overlapping: many iterations
    Rng rng(2);
    const Matrix x = draw(truth, 3000, rng);
    GmmModel model = make(5, 1, 0.0, 200);
    const FitInfo info = model.fit(x, rng);
    const auto& h = model.lower_bound_history();
    ASSERT_EQ(static_cast<int>(h.size()), info.iterations);
    ASSERT_GT(h.size(), 20u);
    for (std::size_t t = 1; t < h.size(); ++t) EXPECT_GE(h[t], h[t - 1] - 1e-9) << t;
    EXPECT_EQ(model.lower_bound(), h.back());
}

TEST(GmmModel, MeanNllMatchesANaiveComputation) {
    const TrueMixture truth = three_components(3.0);
    Rng rng(3);
    GmmModel model = make(4);
    model.fit(draw(truth, 1000, rng), rng);
    Matrix test = draw(truth, 300, rng);
    test.row(0) << 40.0, -30.0;  // far from every component: needs the log-sum-exp
    Matrix near_only = test.bottomRows(299);
    const double naive = naive_mean_nll(model, near_only);
    EXPECT_NEAR(*model.mean_nll(near_only), naive, 1e-12 * std::abs(naive));
    const double far = *model.mean_nll(test.topRows(1));
    EXPECT_TRUE(std::isfinite(far));
    EXPECT_GT(far, 100.0);  // the naive density underflows to 0 here
}

TEST(GmmModel, SampledComponentFrequenciesMatchTheWeights) {
    // Components 20 apart with unit-scale covariances: a sample's component is its nearest
    // mean with probability 1 - 1e-20, so counts are multinomial(n, weights).
    const TrueMixture truth = three_components(20.0);
    Rng rng(4);
    GmmModel model = make(3, 2);
    model.fit(draw(truth, 3000, rng), rng);
    const Eigen::Index n = 30000;
    const Matrix s = model.sample(static_cast<std::size_t>(n), 1.0, rng);
    std::vector<double> counts(3, 0.0);
    for (Eigen::Index i = 0; i < n; ++i) {
        Eigen::Index k = 0;
        (model.means().rowwise() - s.row(i)).rowwise().squaredNorm().minCoeff(&k);
        counts[static_cast<std::size_t>(k)] += 1.0;
    }
    double chi2 = 0.0;
    for (Eigen::Index k = 0; k < 3; ++k) {
        const double expected = model.weights()(k) * static_cast<double>(n);
        chi2 += (counts[static_cast<std::size_t>(k)] - expected) *
                (counts[static_cast<std::size_t>(k)] - expected) / expected;
    }
    EXPECT_LT(chi2, 13.82);  // chi-square, 2 degrees of freedom, p = 0.001
}

TEST(GmmModel, BiasScalesEachComponentCovariance) {
    const TrueMixture truth = three_components(20.0);
    Rng rng(5);
    GmmModel model = make(3, 2);
    model.fit(draw(truth, 3000, rng), rng);
    const double bias = 0.25;
    const Eigen::Index n = 60000;
    const Matrix s = model.sample(static_cast<std::size_t>(n), bias, rng);
    for (Eigen::Index k = 0; k < 3; ++k) {
        std::vector<Eigen::Index> rows;
        for (Eigen::Index i = 0; i < n; ++i) {
            Eigen::Index nearest = 0;
            (model.means().rowwise() - s.row(i)).rowwise().squaredNorm().minCoeff(&nearest);
            if (nearest == k) rows.push_back(i);
        }
        Matrix c(static_cast<Eigen::Index>(rows.size()), 2);
        for (std::size_t r = 0; r < rows.size(); ++r)
            c.row(static_cast<Eigen::Index>(r)) = s.row(rows[r]);
        const Matrix centred = c.rowwise() - c.colwise().mean();
        const SquareMatrix cov = centred.transpose() * centred / static_cast<double>(c.rows() - 1);
        const SquareMatrix expected = bias * model.covariances()[static_cast<std::size_t>(k)];
        for (Eigen::Index j = 0; j < 2; ++j) {
            for (Eigen::Index l = 0; l < 2; ++l) {
                const double se =
                    std::sqrt((expected(j, j) * expected(l, l) + expected(j, l) * expected(j, l)) /
                              static_cast<double>(c.rows()));
                EXPECT_NEAR(cov(j, l), expected(j, l), 5.0 * se) << k;
            }
        }
    }
}

void expect_usable(const GmmModel& model, const Matrix& x, Rng& rng) {
    EXPECT_TRUE(model.weights().allFinite());
    EXPECT_NEAR(model.weights().sum(), 1.0, 1e-12);
    EXPECT_TRUE(model.means().allFinite());
    for (const auto& c : model.covariances()) EXPECT_TRUE(c.allFinite());
    const auto nll = model.mean_nll(x);
    ASSERT_TRUE(nll.has_value());
    EXPECT_TRUE(std::isfinite(*nll));
    EXPECT_TRUE(model.sample(500, 1.0, rng).allFinite());
    EXPECT_TRUE(model.sample(500, 0.1, rng).allFinite());
}

TEST(GmmModel, DegenerateDataGivesFiniteModels) {
    Rng rng(6);
    Matrix equal(50, 2);
    equal.rowwise() = vec2(1.0, 2.0).transpose();
    Matrix three(3, 2);
    three << 0, 0, 1, 1, 2, 0;
    Matrix one(1, 2);
    one << 3.0, -1.0;
    Matrix flat = grid25(400, rng);
    flat.col(1).setConstant(0.5);  // a zero-variance dimension
    for (const Matrix* x : {&equal, &three, &one, &flat}) {
        for (double reg : {1e-6, 0.0}) {
            GmmModel model = make(25, 2, 1e-3, 100, reg);
            const FitInfo info = model.fit(*x, rng);
            // Empty components, or a singular covariance without reg_covar, are reported; a
            // zero-variance dimension with reg_covar > 0 is an ordinary fit.
            const bool expect_degenerate = x != &flat || reg == 0.0;
            EXPECT_EQ(info.degenerate, expect_degenerate) << x->rows() << " rows, reg " << reg;
            expect_usable(model, *x, rng);
        }
    }
    // All points equal: every sample sits at the point, within the reg_covar spread.
    GmmModel model = make(25);
    model.fit(equal, rng);
    const Matrix s = model.sample(200, 1.0, rng);
    EXPECT_LT((s.rowwise() - vec2(1.0, 2.0).transpose()).cwiseAbs().maxCoeff(), 6 * 1e-3);
}

TEST(GmmModel, MoreRestartsNeverGiveAWorseBound) {
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
        Rng data_rng(100 + seed);
        const Matrix x = grid25(1000, data_rng);
        GmmModel one = make(25, 1), four = make(25, 4);
        Rng a(seed), b(seed);
        one.fit(x, a);
        four.fit(x, b);
        EXPECT_GE(four.lower_bound(), one.lower_bound()) << seed;
    }
}

TEST(GmmModel, SameSeedSameFit) {
    Rng data_rng(7);
    const Matrix x = grid25(2000, data_rng);
    GmmModel a = make(25), b = make(25);
    Rng ra(8), rb(8);
    const FitInfo ia = a.fit(x, ra);
    const FitInfo ib = b.fit(x, rb);
    EXPECT_EQ(ia.iterations, ib.iterations);
    EXPECT_EQ(a.weights(), b.weights());
    EXPECT_EQ(a.means(), b.means());
    for (std::size_t k = 0; k < 25; ++k) EXPECT_EQ(a.covariances()[k], b.covariances()[k]);
    EXPECT_EQ(a.sample(100, 1.0, ra), b.sample(100, 1.0, rb));
    const auto copy = a.clone();
    Rng c1(9), c2(9);
    EXPECT_EQ(copy->sample(100, 0.5, c1), a.sample(100, 0.5, c2));
    EXPECT_EQ(a.family(), "gmm");
}

TEST(GmmModel, GeneralPathAgreesWithTheTwoDimensionalKernel) {
    // d = 2 has fused kernels; d = 3 takes the general path. Appending a constant coordinate
    // leaves k-means and the responsibilities unchanged (every component gets that mean and
    // variance reg_covar), and adds -log(2 pi reg_covar) / 2 to every log-density.
    Rng data_rng(10);
    const Matrix x2 = draw(three_components(4.0), 2000, data_rng);
    Matrix x3(x2.rows(), 3);
    x3 << x2, Matrix::Constant(x2.rows(), 1, 0.75);
    GmmModel m2 = make(4, 1, 1e-8), m3 = make(4, 1, 1e-8);
    Rng r2(11), r3(11);
    const FitInfo i2 = m2.fit(x2, r2);
    const FitInfo i3 = m3.fit(x3, r3);
    EXPECT_EQ(i2.iterations, i3.iterations);
    for (Eigen::Index k = 0; k < 4; ++k) {
        EXPECT_NEAR(m2.weights()(k), m3.weights()(k), 1e-9);
        EXPECT_NEAR(m2.means()(k, 0), m3.means()(k, 0), 1e-9);
        EXPECT_NEAR(m2.means()(k, 1), m3.means()(k, 1), 1e-9);
        EXPECT_NEAR(m3.means()(k, 2), 0.75, 1e-12);
        EXPECT_NEAR(m2.covariances()[static_cast<std::size_t>(k)](0, 1),
                    m3.covariances()[static_cast<std::size_t>(k)](0, 1), 1e-9);
    }
    const double shift = -0.5 * std::log(2.0 * std::numbers::pi * 1e-6);
    EXPECT_NEAR(m3.lower_bound(), m2.lower_bound() + shift, 1e-8);
    EXPECT_NEAR(*m3.mean_nll(x3), *m2.mean_nll(x2) - shift, 1e-8);
    // And the general path against the naive density in 3-D.
    const double naive = naive_mean_nll(m3, x3.topRows(200));
    EXPECT_NEAR(*m3.mean_nll(x3.topRows(200)), naive, 1e-11 * std::abs(naive));
}

TEST(GmmModel, OneAndManyDimensionsUseTheGeneralPaths) {
    // d = 1 (general E-step, reductions in the M-step) and d = 18 (matrix-product covariances):
    // two components 8 apart with unit covariances; recovered weights and means within 4
    // standard errors, densities against the naive formula.
    for (Eigen::Index d : {1, 18}) {
        TrueMixture t;
        t.weights = {0.6, 0.4};
        t.means = {Vector::Zero(d), Vector::Constant(d, 8.0 / std::sqrt(static_cast<double>(d)))};
        t.covariances = {SquareMatrix::Identity(d, d), 0.25 * SquareMatrix::Identity(d, d)};
        Rng rng(20 + static_cast<std::uint64_t>(d));
        const Eigen::Index n = 3000;
        const Matrix x = draw(t, n, rng);
        GmmModel model = make(2, 2);
        const FitInfo info = model.fit(x, rng);
        EXPECT_TRUE(info.converged);
        for (std::size_t c = 0; c < 2; ++c) {
            const Eigen::Index k = nearest_component(model, t.means[c]);
            const double w = t.weights[c];
            EXPECT_NEAR(model.weights()(k), w, 4.0 * std::sqrt(w * (1 - w) / n)) << d;
            const double se = std::sqrt(t.covariances[c](0, 0) / (w * n));
            for (Eigen::Index j = 0; j < d; ++j) {
                EXPECT_NEAR(model.means()(k, j), t.means[c](j), 4.0 * se) << d;
            }
            // Mean variance over dimensions: standard error sqrt(2 / (n_c d)) relative.
            const double var = model.covariances()[static_cast<std::size_t>(k)].trace() / d;
            EXPECT_NEAR(var, t.covariances[c](0, 0),
                        4.0 * t.covariances[c](0, 0) * std::sqrt(2.0 / (w * n * d)))
                << d;
        }
        const Matrix test = draw(t, 200, rng);
        const double naive = naive_mean_nll(model, test);
        EXPECT_NEAR(*model.mean_nll(test), naive, 1e-11 * std::abs(naive)) << d;
    }
}

TEST(GmmModel, ReportsNonConvergence) {
    Rng rng(12);
    const Matrix x = draw(three_components(2.0), 1000, rng);
    GmmModel model = make(5, 1, 1e-12, 2);
    const FitInfo info = model.fit(x, rng);
    EXPECT_FALSE(info.converged);
    EXPECT_EQ(info.iterations, 2);
    EXPECT_FALSE(info.note.empty());
}

TEST(GmmModel, OptionsAndMisuseAreRejected) {
    auto message = [](auto make_model) {
        try {
            make_model();
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message([] { make(0); }).find("model.components"), std::string::npos);
    EXPECT_NE(message([] { make(2, 1, 1e-3, 0); }).find("model.max_iter"), std::string::npos);
    EXPECT_NE(message([] { make(2, 1, -1.0); }).find("model.tol"), std::string::npos);
    EXPECT_NE(message([] { make(2, 1, 1e-3, 100, -1e-6); }).find("model.reg_covar"),
              std::string::npos);
    EXPECT_NE(message([] { make(2, 0); }).find("model.n_init"), std::string::npos);

    GmmModel model = make(2);
    Rng rng(13);
    EXPECT_THROW(model.sample(1, 1.0, rng), Error);
    EXPECT_THROW(model.mean_nll(Matrix::Zero(1, 2)), Error);
    EXPECT_THROW(model.fit(Matrix(0, 2), rng), NumericalError);
    model.fit(grid25(100, rng), rng);
    EXPECT_THROW(model.sample(1, 0.0, rng), ConfigError);
    EXPECT_THROW(model.sample(1, 1.01, rng), ConfigError);
    EXPECT_THROW(model.mean_nll(Matrix::Zero(1, 3)), DataError);
}

}  // namespace
}  // namespace madlab
