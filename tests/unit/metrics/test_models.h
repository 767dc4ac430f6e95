#pragma once
// Small fixed-parameter models for the metric tests: the metrics layer must not depend on the
// model families, so these stand in for them.

#include <Eigen/Cholesky>
#include <cmath>
#include <memory>
#include <numbers>
#include <optional>
#include <string>

#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"
#include "madlab/models/generative_model.h"

namespace madlab::testing {

// N(mean, covariance) with a positive definite covariance, given at construction (fitted from
// the start); fit() changes nothing. sample() draws from N(mean, bias * covariance), as the
// gaussian family does (SCIENCE.md section 3).
class FixedGaussianModel : public ContinuousModel, public HasGaussianParams {
public:
    FixedGaussianModel(Vector mean, SquareMatrix covariance)
        : params_{std::move(mean), std::move(covariance)} {
        mark_fitted();
    }
    std::string family() const override { return "fixed_gaussian"; }
    std::optional<double> mean_nll(const Matrix& x) const {
        const Eigen::Index d = params_.mean.size();
        const Eigen::LLT<SquareMatrix> llt(params_.covariance);
        const SquareMatrix l = llt.matrixL();
        const double logdet = 2.0 * l.diagonal().array().log().sum();
        double sum = 0.0;
        for (Eigen::Index i = 0; i < x.rows(); ++i) {
            const Vector diff = x.row(i).transpose() - params_.mean;
            sum += diff.dot(llt.solve(diff));
        }
        return 0.5 * (static_cast<double>(d) * std::log(2.0 * std::numbers::pi) + logdet) +
               0.5 * sum / static_cast<double>(x.rows());
    }
    std::unique_ptr<ContinuousModel> clone() const override {
        return std::make_unique<FixedGaussianModel>(*this);
    }
    GaussianParams gaussian_params() const override { return params_; }

protected:
    FitInfo do_fit(const Matrix&, FitContext<Matrix>&) override { return {}; }
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view) const override {
        const Eigen::Index d = params_.mean.size();
        const SquareMatrix l = std::sqrt(bias) * SquareMatrix(params_.covariance.llt().matrixL());
        Matrix out(static_cast<Eigen::Index>(n), d);
        Vector z(d);
        for (Eigen::Index i = 0; i < out.rows(); ++i) {
            for (Eigen::Index j = 0; j < d; ++j) z[j] = rng.normal();
            out.row(i) = (params_.mean + l * z).transpose();
        }
        return out;
    }
    NamedValues do_score_held_out(const Matrix& x) const override { return nll_score(mean_nll(x)); }

private:
    GaussianParams params_;
};

// A model without a density and without Gaussian parameters (like a histogram sampler).
class NoDensityModel : public ContinuousModel {
public:
    NoDensityModel() { mark_fitted(); }
    std::string family() const override { return "no_density"; }
    std::unique_ptr<ContinuousModel> clone() const override {
        return std::make_unique<NoDensityModel>(*this);
    }

protected:
    FitInfo do_fit(const Matrix&, FitContext<Matrix>&) override { return {}; }
    Matrix do_sample(std::size_t n, double, Rng&, std::string_view) const override {
        return Matrix::Zero(static_cast<Eigen::Index>(n), 1);
    }
};

// n points of N(0, I_d) scaled by `scale` and shifted by `offset` in every coordinate.
inline Matrix gaussian_points(Eigen::Index n, Eigen::Index d, std::uint64_t seed,
                              double offset = 0.0, double scale = 1.0) {
    Rng rng(seed);
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < d; ++j) x(i, j) = offset + scale * rng.normal();
    return x;
}

}  // namespace madlab::testing
