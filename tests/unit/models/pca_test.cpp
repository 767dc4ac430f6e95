#include "madlab/models/pca.h"

#include <gtest/gtest.h>

#include <Eigen/SVD>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "madlab/models/gaussian.h"
#include "madlab/models/pca_model.h"

namespace madlab {
namespace {

// n points in d dimensions with variances that fall geometrically along random directions,
// so that the principal components are well separated.
Matrix anisotropic(std::size_t n, int d, std::uint64_t seed) {
    Rng rng(seed);
    Matrix z(static_cast<Eigen::Index>(n), d);
    for (Eigen::Index i = 0; i < z.rows(); ++i)
        for (int j = 0; j < d; ++j) z(i, j) = rng.normal() * std::pow(0.7, j);
    Eigen::MatrixXd mix(d, d);
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j) mix(i, j) = rng.normal();
    const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(mix).householderQ();
    Matrix x = z * q.transpose();
    x.rowwise() += Eigen::RowVectorXd::LinSpaced(d, -1.0, 2.0);
    return x;
}

TEST(Pca, ComponentsAreOrthonormalAndMatchSvd) {
    const Matrix x = anisotropic(500, 12, 1);
    const Pca pca = Pca::fit(x, 5);
    ASSERT_EQ(pca.components(), 5u);
    const Eigen::MatrixXd gram = pca.basis().transpose() * pca.basis();
    EXPECT_TRUE(gram.isApprox(Eigen::MatrixXd::Identity(5, 5), 1e-12));

    // Reference: the SVD of the centred data; eigenvalues of the covariance are s^2 / (n - 1).
    const Eigen::MatrixXd centred = x.rowwise() - x.colwise().mean();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(centred, Eigen::ComputeThinV);
    for (int j = 0; j < 5; ++j) {
        const double expected = svd.singularValues()(j) * svd.singularValues()(j) / 499.0;
        EXPECT_NEAR(pca.explained_variance()(j), expected, 1e-10 * expected) << j;
        // Same direction up to sign; madlab's sign makes the largest entry positive.
        const double cosine = std::abs(pca.basis().col(j).dot(svd.matrixV().col(j)));
        EXPECT_NEAR(cosine, 1.0, 1e-9) << j;
        Eigen::Index largest = 0;
        pca.basis().col(j).cwiseAbs().maxCoeff(&largest);
        EXPECT_GT(pca.basis()(largest, j), 0.0);
    }
    const double total = (centred.array().square().sum()) / 499.0;
    EXPECT_NEAR(pca.total_variance(), total, 1e-10 * total);
    // Decreasing order.
    for (int j = 1; j < 5; ++j)
        EXPECT_GE(pca.explained_variance()(j - 1), pca.explained_variance()(j));
}

TEST(Pca, RoundTripOnTheSpanAndProjectionOff) {
    const Matrix x = anisotropic(300, 8, 2);
    const Pca pca = Pca::fit(x, 3);
    // A point of the principal affine subspace comes back exactly.
    Matrix z(4, 3);
    z << 1, 0, 0, 0, -2, 0.5, 3, 1, -1, 0, 0, 0;
    const Matrix on_span = pca.reconstruct(z);
    EXPECT_TRUE(pca.project(on_span).isApprox(z, 1e-12));
    EXPECT_TRUE(pca.reconstruct(pca.project(on_span)).isApprox(on_span, 1e-12));
    // For any point, reconstruct(project(x)) is the orthogonal projection: the residual is
    // orthogonal to every component, and projecting twice changes nothing.
    const Matrix back = pca.reconstruct(pca.project(x));
    const Eigen::MatrixXd residual_dot = (x - back) * pca.basis();
    EXPECT_LT(residual_dot.cwiseAbs().maxCoeff(), 1e-10);
    EXPECT_TRUE(pca.reconstruct(pca.project(back)).isApprox(back, 1e-12));
    // The full basis reconstructs everything.
    const Pca full = Pca::fit(x, 8);
    EXPECT_TRUE(full.reconstruct(full.project(x)).isApprox(x, 1e-10));
    // Truncation keeps the leading components.
    const Pca two = full.truncated(2);
    EXPECT_TRUE(two.basis().isApprox(full.basis().leftCols(2)));
    EXPECT_TRUE(two.basis().isApprox(Pca::fit(x, 2).basis(), 1e-12));
}

TEST(Pca, FitRowsEqualsFitOnTheGatheredRows) {
    // 5000 rows: more than one block of the blocked covariance.
    const Matrix x = anisotropic(5000, 6, 8);
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < 5000; i += 2) rows.push_back(4999 - i);  // every other, reversed
    Matrix gathered(static_cast<Eigen::Index>(rows.size()), 6);
    for (std::size_t i = 0; i < rows.size(); ++i)
        gathered.row(static_cast<Eigen::Index>(i)) = x.row(static_cast<Eigen::Index>(rows[i]));
    const Pca a = Pca::fit_rows(x, rows, 3);
    const Pca b = Pca::fit(gathered, 3);
    EXPECT_TRUE(a.mean().isApprox(b.mean(), 1e-12));
    EXPECT_TRUE(a.basis().isApprox(b.basis(), 1e-10));
    EXPECT_TRUE(a.explained_variance().isApprox(b.explained_variance(), 1e-12));
    // Not the fit of all rows.
    EXPECT_FALSE(Pca::fit(x, 3).mean().isApprox(a.mean(), 1e-12));
}

TEST(Pca, ErrorsNameTheKey) {
    const Matrix x = anisotropic(10, 4, 3);
    try {
        Pca::fit(x, 5, "model.pca_components");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("model.pca_components = 5"), std::string::npos);
    }
    EXPECT_THROW(Pca::fit(x.topRows(1), 1), ConfigError);
    EXPECT_THROW(Pca::fit(x, 0), ConfigError);
}

TEST(PcaModel, FitsInFeatureSpaceAndClipsSamples) {
    // Pixel-like data in [0, 1].
    Matrix x = anisotropic(400, 6, 4);
    x = ((x.array() - x.minCoeff()) / (x.maxCoeff() - x.minCoeff())).matrix();
    auto pca = std::make_shared<const Pca>(Pca::fit(x, 2));
    PcaModel model(pca, std::make_unique<GaussianModel>());
    Rng fit_rng(5);
    model.fit(x, fit_rng);
    // The inner Gaussian is the MLE of the projections: mean 0 (the PCA centre is the data's
    // mean), covariance diag(explained variance) * (n - 1) / n.
    const auto& inner = dynamic_cast<const GaussianModel&>(model.inner());
    const Matrix z = pca->project(x);
    const GaussianParams params = inner.gaussian_params();
    EXPECT_LT(params.mean.norm(), 1e-12);
    for (int j = 0; j < 2; ++j)
        EXPECT_NEAR(params.covariance(j, j), pca->explained_variance()(j) * 399.0 / 400.0, 1e-12);
    EXPECT_NEAR(params.covariance(0, 1), 0.0, 1e-12);
    Rng rng(6);
    const Matrix s = model.sample(2000, 1.0, rng);
    EXPECT_EQ(s.cols(), 6);
    EXPECT_GE(s.minCoeff(), 0.0);
    EXPECT_LE(s.maxCoeff(), 1.0);
    // Unclipped samples lie on the principal subspace: project/reconstruct leaves them.
    PcaModel raw(pca, std::make_unique<GaussianModel>(), PcaModelOptions{false});
    raw.fit(x, fit_rng);
    const Matrix r = raw.sample(50, 1.0, rng);
    EXPECT_TRUE(pca->reconstruct(pca->project(r)).isApprox(r, 1e-10));
    // The density is the inner model's on projected points.
    EXPECT_DOUBLE_EQ(model.score_held_out(x).at(0).second, *inner.mean_nll(z));
    // A clone carries the fitted state: the same draws from the same stream.
    auto copy = model.clone();
    Rng a(7), b(7);
    EXPECT_EQ(copy->sample(10, 1.0, a), model.sample(10, 1.0, b));
}

}  // namespace
}  // namespace madlab
