#pragma once
// A model on principal-component features: "PCA + an inner family", the classic cheap model of
// images (e.g. a Gaussian mixture on the top 20-50 components of MNIST pixels).
//
// The PCA is fixed (fitted once on the real training pool by whoever builds the model, never on
// synthetic data) and shared by every generation's copy. fit(x) fits the inner model to
// pca.project(x); sample(n) draws n points from the inner model and maps them back to pixel
// space with pca.reconstruct, then clips every value to [clip_low, clip_high] (pixels are
// intensities in [0, 1]), so the synthetic images that train the next generation are valid
// images. mean_nll(x) is the inner model's density of the projected points pca.project(x): a
// density on the principal subspace, not on pixel space (which has none for this model).

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

class PcaModel : public ContinuousModel, public KeepsTrainingOrigin {
public:
    // pca: the fixed feature map; inner: an unfitted model of the projected data.
    PcaModel(std::shared_ptr<const Pca> pca, std::unique_ptr<ContinuousModel> inner,
             PcaModelOptions options = {});

    std::string family() const override { return inner_->family(); }
    FitInfo fit(const Matrix& train, Rng& rng) override;
    Matrix sample(std::size_t n, double bias, Rng& rng) const override;
    std::optional<double> mean_nll(const Matrix& x) const override;
    std::unique_ptr<ContinuousModel> clone() const override;
    // Forwarded to the inner model (rows keep their order through the projection).
    void set_training_origin(std::vector<int> origin) override {
        hand_training_origin(*inner_, origin);
    }

    const Pca& pca() const { return *pca_; }
    const ContinuousModel& inner() const { return *inner_; }

private:
    std::shared_ptr<const Pca> pca_;
    std::unique_ptr<ContinuousModel> inner_;
    PcaModelOptions options_;
};

}  // namespace madlab
