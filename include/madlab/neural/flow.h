#pragma once
// RealNVP normalizing flow (Dinh, Sohl-Dickstein & Bengio 2017) for vectors and tabular data,
// on LibTorch: an invertible map f from data space to a standard normal latent space, so the
// density is exact and the held-out negative log-likelihood is recorded ("nll").
//
// The map: the data are standardised per column (mean and standard deviation of the training
// set, kept with the weights), then `coupling_layers` affine coupling layers. Layer k keeps the
// columns j with (j + k) even and transforms the others:
//     y = m * u + (1 - m) * (u * exp(s(m * u)) + t(m * u)),   s = exp(c) * tanh(s_raw),
// where s_raw and t come from one MLP (width, depth, ReLU) of the kept columns, and c is a
// learned per-column log scale; log |det| of the layer is sum over the changed columns of s.
// The MLPs' output layers start at zero, so an untrained flow is the identity (after the
// standardisation). Training minimises the mean negative log-likelihood with Adam
// (neural/training.h).
//
// Sampling bias lambda: z ~ N(0, lambda I) in latent space, then x = f^-1(z) (the MAD paper's
// biased sampling of its flows, Alemohammad et al. 2023 section 3.3). lambda = 1 is the model.
// With one column, coupling layers see no input and the flow is an affine map.

#include <memory>
#include <optional>
#include <string>

#include "madlab/core/matrix.h"
#include "madlab/models/generative_model.h"
#include "madlab/neural/training.h"

namespace madlab {

struct FlowOptions {
    TrainingOptions training{
        .epochs = 50, .batch_size = 256, .learning_rate = 1e-3, .width = 64, .depth = 2};
    int coupling_layers = 8;  // model.coupling_layers, >= 1
};

class FlowModel : public ContinuousModel {
public:
    // Throws ConfigError naming the bad option.
    explicit FlowModel(FlowOptions options = {});
    FlowModel(const FlowModel& other);
    ~FlowModel() override;

    std::string family() const override { return "flow"; }
    std::unique_ptr<ContinuousModel> clone() const override;
    std::optional<std::string> save_state() const override;

    const FlowOptions& options() const { return options_; }
    // log p(x) of every row of x, in nats (requires a fit).
    Vector log_density(const Matrix& x) const;
    // Mean of -log p(x) over the rows of x, in nats (requires a fit; 0 for no rows).
    double mean_nll(const Matrix& x) const;
    // f(x): the latent point of each row (requires a fit). Samples drawn with bias lambda map
    // to points of covariance lambda I.
    Matrix latent(const Matrix& x) const;

protected:
    // Records fit_loss: the mean training NLL of the last epoch (standardised space).
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override;
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const override;
    NamedValues do_score_held_out(const Matrix& x) const override;
    void do_restore_state(const std::string& state) override;

private:
    struct Network;
    std::string state() const;  // the saved state of network_ (not null)
    FlowOptions options_;
    std::unique_ptr<Network> network_;  // null before a fit
};

}  // namespace madlab
