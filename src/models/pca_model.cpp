#include "madlab/models/pca_model.h"

#include "madlab/core/error.h"

namespace madlab {

PcaModel::PcaModel(std::shared_ptr<const Pca> pca, std::unique_ptr<ContinuousModel> inner,
                   PcaModelOptions options)
    : pca_(std::move(pca)), inner_(std::move(inner)), options_(options) {
    if (!pca_ || !inner_) throw Error("PcaModel needs a fitted PCA and an inner model");
    if (options_.clip && !(options_.clip_low < options_.clip_high))
        throw ConfigError("PcaModel: clip_low must be below clip_high");
}

FitInfo PcaModel::fit(const Matrix& train, Rng& rng) {
    return inner_->fit(pca_->project(train), rng);
}

Matrix PcaModel::sample(std::size_t n, double bias, Rng& rng) const {
    Matrix x = pca_->reconstruct(inner_->sample(n, bias, rng));
    if (options_.clip) x = x.cwiseMax(options_.clip_low).cwiseMin(options_.clip_high);
    return x;
}

std::optional<double> PcaModel::mean_nll(const Matrix& x) const {
    return inner_->mean_nll(pca_->project(x));
}

std::unique_ptr<ContinuousModel> PcaModel::clone() const {
    return std::make_unique<PcaModel>(pca_, inner_->clone(), options_);
}

}  // namespace madlab
