#include "madlab/models/gaussian.h"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numbers>

#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"

namespace madlab {

namespace {

void check_columns(const Matrix& x, Eigen::Index d) {
    if (x.cols() != d) {
        throw DataError(fmt::format("gaussian: data has {} columns but the model was fitted on {}",
                                    x.cols(), d));
    }
}

// Column means computed in two passes: the second adds the mean residual, which makes the mean
// of n identical rows exactly that row (so their covariance is exactly zero) and removes most
// rounding error in general.
Vector column_means(const Matrix& x) {
    const double n = static_cast<double>(x.rows());
    Vector mean = x.colwise().sum().transpose() / n;
    const Vector residual = (x.rowwise() - mean.transpose()).colwise().sum().transpose() / n;
    return mean + residual;
}

// True if the Cholesky factorisation succeeded and every pivot is clearly positive.
bool clearly_positive_definite(const Eigen::LLT<SquareMatrix>& llt, const SquareMatrix& cov) {
    if (llt.info() != Eigen::Success) return false;
    const SquareMatrix& l = llt.matrixLLT();
    for (Eigen::Index j = 0; j < cov.rows(); ++j) {
        const double pivot = l(j, j) * l(j, j);
        if (!(pivot > GaussianModel::kSingular * cov(j, j)) || !(pivot > 0.0)) return false;
    }
    return true;
}

}  // namespace

GaussianModel::GaussianModel(GaussianOptions options) : options_(options) {
    if (!(options_.reg_covar >= 0.0) || !std::isfinite(options_.reg_covar)) {
        throw ConfigError(fmt::format("model.reg_covar must be a finite number >= 0, got {}",
                                      options_.reg_covar));
    }
}

FitInfo GaussianModel::do_fit(const Matrix& train, FitContext<Matrix>& /*context*/) {
    const Eigen::Index n = train.rows();
    const Eigen::Index d = train.cols();
    if (n == 0 || d == 0) {
        throw NumericalError(
            fmt::format("gaussian: cannot fit a {} x {} data set (need at least one row and "
                        "one column)",
                        n, d));
    }
    FitInfo info;
    mean_ = column_means(train);
    const Matrix centered = train.rowwise() - mean_.transpose();
    const bool unbiased = options_.estimator == GaussianOptions::Estimator::kUnbiased;
    // n = 1 with the unbiased estimator has no defined variance: treated as zero (degenerate).
    const double divisor = unbiased ? static_cast<double>(n - 1) : static_cast<double>(n);
    covariance_ = SquareMatrix::Zero(d, d);
    if (divisor > 0.0) {
        covariance_.selfadjointView<Eigen::Lower>().rankUpdate(centered.transpose(), 1.0 / divisor);
        covariance_ = covariance_.selfadjointView<Eigen::Lower>();
    }
    covariance_.diagonal().array() += options_.reg_covar;

    Eigen::LLT<SquareMatrix> llt(covariance_);
    degenerate_ = !clearly_positive_definite(llt, covariance_);
    if (!degenerate_) {
        sample_factor_ = llt.matrixL();
        density_chol_ = sample_factor_;
    } else {
        Eigen::SelfAdjointEigenSolver<SquareMatrix> eig(covariance_);
        // Eigenvalues within rounding of zero (below kSingular times the largest) are zero:
        // their square roots (1e-8 relative) would scatter samples off Sigma's range.
        const double threshold = kSingular * std::max(0.0, eig.eigenvalues().maxCoeff());
        const Vector ev =
            (eig.eigenvalues().array() > threshold).select(eig.eigenvalues(), Vector::Zero(d));
        sample_factor_ = eig.eigenvectors() * ev.cwiseSqrt().asDiagonal();
        const double trace = covariance_.trace();
        const double eps = trace > 0.0 ? kJitter * trace / static_cast<double>(d) : kJitter;
        SquareMatrix jittered = covariance_;
        jittered.diagonal().array() += eps;
        Eigen::LLT<SquareMatrix> jllt(jittered);
        if (jllt.info() != Eigen::Success) {  // rounding left an eigenvalue below -eps
            jittered = eig.eigenvectors() * (ev.array() + eps).matrix().asDiagonal() *
                       eig.eigenvectors().transpose();
            jllt.compute(jittered);
        }
        density_chol_ = jllt.matrixL();
        info.degenerate = true;
        info.note = fmt::format(
            "singular covariance (trace {:.3g}); density regularised with {:.3g} * I", trace, eps);
    }
    const double log_det = 2.0 * density_chol_.diagonal().array().log().sum();
    log_norm_ = 0.5 * (static_cast<double>(d) * std::log(2.0 * std::numbers::pi) + log_det);
    return info;
}

Matrix GaussianModel::do_sample(std::size_t n, double bias, Rng& rng,
                                std::string_view /*purpose*/) const {
    const Eigen::Index d = mean_.size();
    // Row i of the result is mu + sqrt(bias) * A z_i with z_i standard normal, drawn in row
    // order. A is lower triangular when it is the Cholesky factor, so only k <= j is summed.
    const SquareMatrix a = std::sqrt(bias) * sample_factor_;
    const bool lower = !degenerate_;
    Matrix out(static_cast<Eigen::Index>(n), d);
    std::vector<double> z(static_cast<std::size_t>(d));
    for (Eigen::Index i = 0; i < out.rows(); ++i) {
        for (auto& v : z) v = rng.normal();
        double* row = &out(i, 0);
        for (Eigen::Index j = 0; j < d; ++j) {
            const Eigen::Index last = lower ? j + 1 : d;
            double sum = mean_[j];
            for (Eigen::Index k = 0; k < last; ++k) sum += a(j, k) * z[k];
            row[j] = sum;
        }
    }
    return out;
}

std::optional<double> GaussianModel::mean_nll(const Matrix& x) const {
    require_fitted();
    check_columns(x, mean_.size());
    if (x.rows() == 0) throw NumericalError("gaussian: mean_nll of an empty data set");
    // Whitened residuals: solve L y_i = x_i - mu for all rows at once.
    Matrix residual_t = (x.rowwise() - mean_.transpose()).transpose();
    density_chol_.triangularView<Eigen::Lower>().solveInPlace(residual_t);
    const double mean_mahalanobis = residual_t.squaredNorm() / static_cast<double>(x.rows());
    return log_norm_ + 0.5 * mean_mahalanobis;
}

std::unique_ptr<ContinuousModel> GaussianModel::clone() const {
    return std::make_unique<GaussianModel>(*this);
}

GaussianParams GaussianModel::gaussian_params() const {
    require_fitted();
    return {mean_, covariance_};
}

}  // namespace madlab

namespace madlab {
namespace {

const ModelFamilyRegistrar kGaussianFamily({
    .name = "gaussian",
    .help = "one Gaussian: the sample mean and covariance",
    .keys = {{.name = "estimator",
              .type = ConfigKey::Type::kString,
              .default_value = std::string("mle"),
              .choices = {"mle", "unbiased"},
              .help = "covariance estimator: mle divides the scatter by n, unbiased by n - 1"},
             {.name = "reg_covar",
              .type = ConfigKey::Type::kDouble,
              .default_value = 0.0,
              .help = "added to every diagonal entry of the fitted covariance"}},
    .make_vectors =
        [](const Params& p) {
            GaussianOptions options;
            options.estimator = p.get_string("estimator") == "mle"
                                    ? GaussianOptions::Estimator::kMle
                                    : GaussianOptions::Estimator::kUnbiased;
            options.reg_covar = p.get_double("reg_covar");
            return std::unique_ptr<ContinuousModel>(std::make_unique<GaussianModel>(options));
        },
});

}  // namespace
}  // namespace madlab
