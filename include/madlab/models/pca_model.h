#pragma once
// A model on principal-component features: "PCA + an inner family", the classic cheap model of
// images (e.g. a Gaussian mixture on the top 20-50 components of MNIST pixels).
//
// The PCA is fixed (fitted once on the real training pool by whoever builds the model, never on
// synthetic data) and shared by every generation's copy. fit(x) fits the inner model to
// pca.project(x); sample(n) draws n points from the inner model and maps them back to pixel
// space with pca.reconstruct, then clips every value to [clip_low, clip_high] (pixels are
// intensities in [0, 1]), so the synthetic images that train the next generation are valid
// images. score_held_out(x) is the inner model's score (its density) of the projected points
// pca.project(x): a density on the principal subspace, not on pixel space (which has none for
// this model).

#include <memory>
#include <optional>
#include <string>

#include "madlab/models/generative_model.h"
#include "madlab/models/pca.h"

namespace madlab {

struct PcaModelOptions {
    bool clip = true;       // clip samples to [clip_low, clip_high]
    double clip_low = 0.0;  // pixel intensities are in [0, 1]
    double clip_high = 1.0;
};

class PcaModel : public ContinuousModel {
public:
    // pca: the fixed feature map; inner: an unfitted model of the projected data.
    PcaModel(std::shared_ptr<const Pca> pca, std::unique_ptr<ContinuousModel> inner,
             PcaModelOptions options = {});

    std::string family() const override { return inner_->family(); }
    std::unique_ptr<ContinuousModel> clone() const override;
    bool needs_work_dir() const override { return inner_->needs_work_dir(); }
    void retire() const override { inner_->retire(); }

    const Pca& pca() const { return *pca_; }
    const ContinuousModel& inner() const { return *inner_; }

protected:
    // The inner model is fitted with the same context (rows keep their order through the
    // projection, so the origins still hold).
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override;
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const override;
    NamedValues do_score_held_out(const Matrix& x) const override;

private:
    std::shared_ptr<const Pca> pca_;
    std::unique_ptr<ContinuousModel> inner_;
    PcaModelOptions options_;
};

}  // namespace madlab
