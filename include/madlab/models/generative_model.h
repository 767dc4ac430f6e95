#pragma once
// The central concept: a generative model family that can be fitted to data and sampled from.
// Constructors do not train (mlpack's rule); fit() and sample() have the same shape in every
// family. Data is a Matrix (n x d, row-major samples; see core/matrix.h) for continuous data.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"

namespace madlab {

// What a fit reports besides the fitted parameters.
struct FitInfo {
    bool converged = true;    // false: an iterative fit stopped at max_iter
    int iterations = 0;       // iterations used (0 for closed-form fits)
    bool degenerate = false;  // the data was degenerate (e.g. zero variance); regularised
    std::string note;         // human-readable detail, empty if nothing to say
};

template <class Data>
class GenerativeModel {
public:
    virtual ~GenerativeModel() = default;

    // Short family name as in the config ("gaussian", "gmm", "kde").
    virtual std::string family() const = 0;

    // Fits the model to `train` (replacing any earlier fit). Must not fail on degenerate data
    // (all points equal, fewer points than parameters): regularise and say so in FitInfo.
    // Throws NumericalError only when there is no data at all.
    virtual FitInfo fit(const Data& train, Rng& rng) = 0;

    // Draws n samples with sampling bias `bias` = lambda in (0, 1] (SCIENCE.md section 3):
    // 1 is unbiased sampling, smaller values favour the modes. Requires a fitted model.
    virtual Data sample(std::size_t n, double bias, Rng& rng) const = 0;

    // Mean negative log-density (nats) of the rows of x under the model; nullopt if the family
    // has no density.
    virtual std::optional<double> mean_nll(const Data& x) const = 0;

    virtual std::unique_ptr<GenerativeModel> clone() const = 0;
};

using ContinuousModel = GenerativeModel<Matrix>;

// Implemented by families whose fitted model is one Gaussian: metrics use the parameters for
// exact closed forms (2-Wasserstein distance, parameter drift).
class HasGaussianParams {
public:
    virtual ~HasGaussianParams() = default;
    virtual GaussianParams gaussian_params() const = 0;
};

// Implemented by families that keep their training data in files for audit (external): the
// chain hands them, before each fit(), the origin of every training row (loop/schedule.h:
// kRealOrigin = -1 for real data, g >= 0 for a sample of generation g's model), in row order.
class KeepsTrainingOrigin {
public:
    virtual ~KeepsTrainingOrigin() = default;
    virtual void set_training_origin(std::vector<int> origin) = 0;
};

// Calls set_training_origin on `model` if it keeps origins; otherwise does nothing.
template <class Model>
void hand_training_origin(Model& model, const std::vector<int>& origin) {
    if (auto* keeper = dynamic_cast<KeepsTrainingOrigin*>(&model))
        keeper->set_training_origin(origin);
}

}  // namespace madlab
