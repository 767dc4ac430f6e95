#pragma once
// Variational autoencoder (Kingma & Welling 2014) for images and vectors, on LibTorch: the
// neural family of Shumailov et al. 2024's MNIST experiment.
//
// Architecture (model.architecture):
// - "mlp": encoder d -> depth x width (ReLU) -> 2 * latent_dim (mean and log-variance of
//   q(z|x)); decoder latent_dim -> depth x width (ReLU) -> d.
// - "conv": for square one-channel images whose side s is a multiple of 4 (MNIST: 28): two
//   stride-2 4x4 convolutions (32 and 64 channels, ReLU) and a width-unit layer encode; a
//   width-unit layer and two stride-2 transposed convolutions decode.
// Likelihood p(x|z) (model.likelihood):
// - "gaussian": the data are standardised per column (training-set mean and standard
//   deviation, kept with the weights); the decoder gives the mean, and a learned per-column
//   log standard deviation the noise.
// - "bernoulli": for values in [0, 1] (image pixels): the decoder gives logits; the loss is the
//   binary cross-entropy, as in Kingma & Welling's MNIST experiments.
// Training maximises the ELBO (one reparameterised draw per row, noise from the fit's stream)
// with Adam (neural/training.h).
//
// Sampling bias lambda scales the prior's variance: z ~ N(0, lambda I), as Alemohammad et al.
// 2023 bias their flows. A sample is the decoder's output at z: for the Gaussian likelihood
// mean + sd * noise (the model's density), for the Bernoulli likelihood the pixel
// probabilities (the mean image, as VAE samples of MNIST are shown).
//
// Held-out score: "neg_elbo" (mean negative ELBO in nats, an upper bound on -log p(x); one draw
// per row from a fixed stream, so it is a function of the model) and "recon_mse" (mean squared
// error per value of the reconstruction through the posterior mean, in data units).

#include <memory>
#include <optional>
#include <string>

#include "madlab/core/matrix.h"
#include "madlab/models/generative_model.h"
#include "madlab/neural/training.h"

namespace madlab {

struct VaeOptions {
    enum class Architecture { kMlp, kConv };
    enum class Likelihood { kGaussian, kBernoulli };
    TrainingOptions training{
        .epochs = 30, .batch_size = 128, .learning_rate = 1e-3, .width = 256, .depth = 2};
    int latent_dim = 16;                             // model.latent_dim, >= 1
    Architecture architecture = Architecture::kMlp;  // model.architecture
    Likelihood likelihood = Likelihood::kGaussian;   // model.likelihood
};

class VaeModel : public ContinuousModel {
public:
    // Throws ConfigError naming the bad option.
    explicit VaeModel(VaeOptions options = {});
    VaeModel(const VaeModel& other);
    ~VaeModel() override;

    std::string family() const override { return "vae"; }
    std::unique_ptr<ContinuousModel> clone() const override;
    std::optional<std::string> save_state() const override;

    const VaeOptions& options() const { return options_; }
    // Mean squared error per value of decoder(posterior mean of x) against x, in data units
    // (requires a fit).
    double reconstruction_mse(const Matrix& x) const;
    // Mean negative ELBO per row, in nats (requires a fit).
    double negative_elbo(const Matrix& x) const;

protected:
    // Throws DataError for data the options cannot model (the Bernoulli likelihood outside
    // [0, 1], the conv architecture on rows that are not square images of side 4k). Records
    // fit_loss: the mean training negative ELBO of the last epoch.
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override;
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const override;
    NamedValues do_score_held_out(const Matrix& x) const override;
    void do_restore_state(const std::string& state) override;

private:
    struct Network;
    std::string state() const;  // the saved state of network_ (not null)
    VaeOptions options_;
    std::unique_ptr<Network> network_;  // null before a fit
};

}  // namespace madlab
