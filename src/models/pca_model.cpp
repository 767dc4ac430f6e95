#include "madlab/models/pca_model.h"

#include <utility>

#include "madlab/core/error.h"

namespace madlab {

PcaModel::PcaModel(std::shared_ptr<const Pca> pca, std::unique_ptr<ContinuousModel> inner,
                   PcaModelOptions options)
    : pca_(std::move(pca)), inner_(std::move(inner)), options_(options) {
    if (!pca_ || !inner_) throw Error("PcaModel needs a fitted PCA and an inner model");
    if (options_.clip && !(options_.clip_low < options_.clip_high))
        throw ConfigError("PcaModel: clip_low must be below clip_high");
}

FitInfo PcaModel::do_fit(const Matrix& train, FitContext<Matrix>& context) {
    // The inner model sees the same place in the loop; its previous model is the previous
    // PcaModel's inner one (FitContext: built from the same prototype, so also a PcaModel).
    const auto* previous = dynamic_cast<const PcaModel*>(context.previous);
    const ContinuousModel* inner_previous = previous ? previous->inner_.get() : nullptr;
    const ContinuousModel* outer_previous = std::exchange(context.previous, inner_previous);
    FitInfo info = inner_->fit(pca_->project(train), context);
    context.previous = outer_previous;
    return info;
}

Matrix PcaModel::do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const {
    Matrix x = pca_->reconstruct(inner_->sample(n, bias, rng, purpose));
    if (options_.clip) x = x.cwiseMax(options_.clip_low).cwiseMin(options_.clip_high);
    return x;
}

NamedValues PcaModel::do_score_held_out(const Matrix& x) const {
    return inner_->score_held_out(pca_->project(x));
}

std::unique_ptr<ContinuousModel> PcaModel::clone() const {
    auto copy = std::make_unique<PcaModel>(pca_, inner_->clone(), options_);
    if (fitted()) copy->mark_fitted();
    return copy;
}

}  // namespace madlab
