#include "madlab/models/linear_regression.h"

#include <fmt/format.h>

#include <Eigen/QR>
#include <cmath>

#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"

namespace madlab {

LinearRegressionModel::LinearRegressionModel(LinearRegressionOptions options) : options_(options) {
    if (options_.noise && !(std::isfinite(*options_.noise) && *options_.noise >= 0.0))
        throw ConfigError(fmt::format(
            "model.noise = {} is not valid: give the label noise sigma as a finite number >= 0, "
            "or \"estimate\"",
            *options_.noise));
}

FitInfo LinearRegressionModel::do_fit(const Matrix& train, FitContext<Matrix>& /*context*/) {
    const Eigen::Index n = train.rows();
    const Eigen::Index d = train.cols() - 1;
    if (d < 1)
        throw DataError(fmt::format(
            "linear-regression: the data has {} column(s); it needs rows [x_1 .. x_d, y] with at "
            "least one feature and the label last (source.kind = \"linear-regression\", or a CSV "
            "whose last column is the label)",
            train.cols()));
    design_ = train.leftCols(d);
    // Column-major copies for the decomposition; with an intercept, OLS on centred data gives
    // the slope of the fit with intercept and b = mean(y) - mean(x) . w.
    Eigen::MatrixXd x = design_;
    Vector y = train.col(d);
    Vector x_mean = Vector::Zero(d);
    double y_mean = 0.0;
    if (options_.intercept) {
        x_mean = x.colwise().mean().transpose();
        y_mean = y.mean();
        x.rowwise() -= x_mean.transpose();
        y.array() -= y_mean;
    }
    const Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod(x);
    weights_ = cod.solve(y);
    rank_ = cod.rank();
    intercept_ = options_.intercept ? y_mean - x_mean.dot(weights_) : 0.0;

    FitInfo info;
    if (rank_ < d) {
        info.degenerate = true;
        info.note = fmt::format(
            "the design has rank {} < {} features ({} rows{}): minimum-norm least-squares weights",
            rank_, d, n, options_.intercept ? ", centred" : "");
    }
    if (options_.noise) {
        noise_sd_ = *options_.noise;
    } else {
        const Eigen::Index parameters = rank_ + (options_.intercept ? 1 : 0);
        const Eigen::Index dof = n - parameters;
        if (dof > 0) {
            noise_sd_ = std::sqrt((y - x * weights_).squaredNorm() / static_cast<double>(dof));
        } else {
            noise_sd_ = 0.0;
            info.degenerate = true;
            if (!info.note.empty()) info.note += "; ";
            info.note += fmt::format(
                "{} rows leave no residual degrees of freedom for {} parameters: the estimated "
                "noise is 0 (set model.noise to a number to give it)",
                n, parameters);
        }
    }
    return info;
}

Matrix LinearRegressionModel::do_sample(std::size_t n, double bias, Rng& rng,
                                        std::string_view /*purpose*/) const {
    const Eigen::Index d = design_.cols();
    const Eigen::Index rows = design_.rows();
    const double noise = std::sqrt(bias) * noise_sd_;
    Matrix out(static_cast<Eigen::Index>(n), d + 1);
    for (Eigen::Index i = 0; i < out.rows(); ++i) {
        const auto x = design_.row(i % rows);
        out.row(i).head(d) = x;
        out(i, d) = intercept_ + x.dot(weights_) + noise * rng.normal();
    }
    return out;
}

std::unique_ptr<ContinuousModel> LinearRegressionModel::clone() const {
    return std::make_unique<LinearRegressionModel>(*this);
}

const Vector& LinearRegressionModel::regression_weights() const {
    require_fitted();
    return weights_;
}

double LinearRegressionModel::regression_intercept() const {
    require_fitted();
    return intercept_;
}

double LinearRegressionModel::noise_sd() const {
    require_fitted();
    return noise_sd_;
}

}  // namespace madlab

namespace madlab {
namespace {

const ModelFamilyRegistrar kLinearRegressionFamily({
    .name = "linear-regression",
    .help = "ordinary least squares of the last column on the others; samples relabel the "
            "training design (Gerstgrasser et al. 2024)",
    .keys = {{.name = "noise",
              .type = ConfigKey::Type::kNumberOrChoice,
              .default_value = std::string("estimate"),
              .min = 0.0,
              .choices = {"estimate"},
              .help = "label noise sigma of the samples: a known value, or estimate it from the "
                      "residuals (RSS / (N - rank))"},
             {.name = "intercept",
              .type = ConfigKey::Type::kBool,
              .default_value = false,
              .help = "fit an intercept (off: a line through the origin, as Gerstgrasser et al.)"}},
    .make_vectors =
        [](const Params& p) {
            LinearRegressionOptions options;
            if (!std::holds_alternative<std::string>(p.at("noise")))
                options.noise = p.get_double("noise");
            options.intercept = p.get_bool("intercept");
            return std::unique_ptr<ContinuousModel>(
                std::make_unique<LinearRegressionModel>(options));
        },
});

}  // namespace
}  // namespace madlab
