#pragma once
// The central concept: a generative model family that can be fitted to data and sampled from,
// for every kind of data the loop runs on. Data is a Matrix (n x d, row-major samples, see
// core/matrix.h: vectors and images, an image being one row of pixels) or a Corpus (lines of
// tokens: text). Constructors do not train (mlpack's rule); fit() and sample() have the same
// shape in every family and for every kind of data.
//
// Why a template over the data kind and not one variant type: a family is written for one
// kind of data (a GMM fits vectors, an n-gram model text), and the compiler then checks that
// the loop hands it that kind; the loop itself (loop/chain.h) is written once as a template
// and instantiated for each kind. A variant would move that check to run time in every
// family. The instantiations live in the library (Matrix and Corpus), so adding a family adds
// no template code.
//
// The base class checks what every family needs (a fitted model before sampling, a sampling
// bias in (0, 1], non-empty training data, provenance of the right length) once, in the public
// non-virtual functions; families implement the protected virtual do_* functions, which may
// assume those preconditions.

#include <fmt/core.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/matrix.h"
#include "madlab/core/named_values.h"
#include "madlab/core/rng.h"
#include "madlab/data/corpus.h"

namespace madlab {

// What a fit reports besides the fitted parameters.
struct FitInfo {
    bool converged = true;    // false: an iterative fit stopped at max_iter
    int iterations = 0;       // iterations used (0 for closed-form fits)
    bool degenerate = false;  // the data was degenerate (e.g. zero variance); regularised
    std::string note;         // human-readable detail, empty if nothing to say
    // Values the family adds to the generation's records (e.g. gmm: fit_converged), after the
    // metrics; the same names at every generation.
    NamedValues values;
};

template <class Data>
class GenerativeModel;

// Origin of a training row: kRealOrigin for real data, g >= 0 for a sample of generation g's
// model.
constexpr int kRealOrigin = -1;

// Everything a fit may know about its place in the loop, handed to it explicitly. Outside a loop
// (a test, `madlab metrics`) only `rng` is set: generation -1, no origins, no folder, no
// previous model.
template <class Data>
struct FitContext {
    explicit FitContext(Rng& fit_rng) : rng(fit_rng) {}

    // The fit's own random stream (chain_stream(seed, generation, "fit") in a loop): a fit that
    // draws random numbers draws them all from here, which makes refitting on resume
    // reproduce the model bit for bit.
    Rng& rng;
    int generation = -1;     // the generation this model is fitted for (-1: outside a loop)
    std::uint64_t seed = 0;  // the chain's seed
    std::string setting;     // the setting's name ("" outside a study)
    // The origin of every training row, in row order: kRealOrigin or the generation whose model
    // sampled it. Empty outside a loop; otherwise as long as the training data.
    std::span<const int> origin;
    // A folder this fit may write files to (created by the model when it needs it; "" = none).
    // In a loop: <work root>/<setting>/seed-<seed>/gen-<generation, 4 digits>, the same folder
    // again when a resumed chain refits the generation.
    std::string work_dir;
    // The model fitted at the previous generation of this chain, for warm starts: a model of
    // the same family built from the same prototype, already fitted; nullptr at generation 0,
    // outside a loop, and when a resumed chain refits its oldest kept model (a family whose fit
    // depends on it must make that dependence survive a resume).
    const GenerativeModel<Data>* previous = nullptr;
};

template <class Data>
class GenerativeModel {
public:
    virtual ~GenerativeModel() = default;

    // Short family name as in the config ("gaussian", "gmm", "kde", "ngram", "external").
    virtual std::string family() const = 0;

    // Fits the model to `train` (replacing any earlier fit). Must not fail on degenerate data
    // (all points equal, fewer points than parameters): regularise and say so in FitInfo.
    // Throws NumericalError when there is no data at all, Error when context.origin is given
    // with a length other than the data's.
    FitInfo fit(const Data& train, FitContext<Data>& context) {
        const std::size_t rows = row_count(train);
        if (rows == 0)
            throw NumericalError(fmt::format("{}: cannot fit an empty training set", family()));
        if (!context.origin.empty() && context.origin.size() != rows)
            throw Error(fmt::format("{}: {} training rows but {} origins", family(), rows,
                                    context.origin.size()));
        fitted_ = false;
        FitInfo info = do_fit(train, context);
        fitted_ = true;
        return info;
    }
    // A fit outside a loop: the context holds only the random stream.
    FitInfo fit(const Data& train, Rng& rng) {
        FitContext<Data> context(rng);
        return fit(train, context);
    }

    // Draws n samples with sampling bias `bias` = lambda in (0, 1] (SCIENCE.md section 3): 1 is
    // unbiased sampling, smaller values favour the modes (for text: the temperature). `purpose`
    // says what the loop draws them for ("eval": the samples the metrics score; "synthetic-<t>-
    // <j>": training data of generation t, j-th of the kept models; "" outside a loop): a
    // family that keeps files names them after it. Throws Error before a fit, ConfigError
    // naming model.bias for a bias outside (0, 1].
    Data sample(std::size_t n, double bias, Rng& rng, std::string_view purpose = {}) const {
        require_fitted();
        if (!(bias > 0.0 && bias <= 1.0))
            throw ConfigError(fmt::format("model.bias must be in (0, 1], got {}", bias));
        return do_sample(n, bias, rng, purpose);
    }

    // How well the model explains held-out real data, as named values (vectors: "nll", the
    // mean negative log-density in nats; text: "perplexity" and more), or no values when the
    // family cannot score data. Requires a fitted model.
    NamedValues score_held_out(const Data& real) const {
        require_fitted();
        return do_score_held_out(real);
    }

    // Whether the model needs FitContext::work_dir (a family that keeps files): the study
    // runner then requires an output folder before any chain starts.
    virtual bool needs_work_dir() const { return false; }

    // Called by the loop when no later generation will sample from this model: a family that
    // keeps files may delete what only sampling needed (the external family's prune).
    virtual void retire() const {}

    // Checkpoint hooks. A chain's checkpoint stores training data, and restoring it refits the
    // kept models with their own streams and contexts, which reproduces a deterministic fit bit
    // for bit without any model format. A family whose fit cannot be repeated cheaply or
    // exactly (a network trained on a GPU) returns its fitted state here instead: the chain
    // stores the bytes and restore_state() replaces the refit. Requires a fitted model.
    virtual std::optional<std::string> save_state() const { return std::nullopt; }
    // Restores a state written by save_state() of a model of the same family and options; the
    // model is then fitted. Throws DataError for bytes it cannot read.
    void restore_state(const std::string& state) {
        fitted_ = false;
        do_restore_state(state);
        fitted_ = true;
    }
    // The same in a loop: `context` is the one the model's fit had (its stream, generation,
    // chain seed, setting and folder; no origins, no previous model), for a family whose state
    // belongs to a place in the study (the python family's object of each chain).
    void restore_state(const std::string& state, const FitContext<Data>& context) {
        fitted_ = false;
        do_restore_state_at(state, context);
        fitted_ = true;
    }

    bool fitted() const { return fitted_; }

    virtual std::unique_ptr<GenerativeModel> clone() const = 0;

protected:
    GenerativeModel() = default;
    GenerativeModel(const GenerativeModel&) = default;
    GenerativeModel& operator=(const GenerativeModel&) = default;

    // The family's fit: train is non-empty, context.origin empty or of its length.
    virtual FitInfo do_fit(const Data& train, FitContext<Data>& context) = 0;
    // The family's sampling: fitted, bias in (0, 1].
    virtual Data do_sample(std::size_t n, double bias, Rng& rng,
                           std::string_view purpose) const = 0;
    // The family's held-out score (default: none): fitted.
    virtual NamedValues do_score_held_out(const Data& /*real*/) const { return {}; }
    // The family's restore from save_state() bytes (default: it saves none, so it has none to
    // restore).
    virtual void do_restore_state(const std::string& /*state*/) {
        throw DataError(fmt::format(
            "{}: the checkpoint holds a saved model state, but this family saves none", family()));
    }
    // The family's restore in a loop (default: do_restore_state, which needs no place).
    virtual void do_restore_state_at(const std::string& state,
                                     const FitContext<Data>& /*context*/) {
        do_restore_state(state);
    }

    // For models whose parameters are given at construction (no fit needed before sampling).
    void mark_fitted() { fitted_ = true; }

    void require_fitted() const {
        if (!fitted_)
            throw Error(fmt::format("{}: the model is used before fit() was called", family()));
    }

private:
    bool fitted_ = false;
};

// Models of vectors and images, and of text.
using ContinuousModel = GenerativeModel<Matrix>;
using TextModel = GenerativeModel<Corpus>;

// Implemented by families whose fitted model is one Gaussian: metrics use the parameters for
// exact closed forms (2-Wasserstein distance, parameter drift). gaussian_params() is the fit
// N(mu, Sigma); sample() with bias lambda must draw from N(mu, lambda Sigma) (SCIENCE.md
// section 3), which is what the Frechet metric's closed form scores (metrics/frechet.h).
class HasGaussianParams {
public:
    virtual ~HasGaussianParams() = default;
    virtual GaussianParams gaussian_params() const = 0;
};

// Implemented by families whose fitted model predicts the last column of a row linearly from
// the others, y_hat = intercept + x . weights (supervised rows [x_1 .. x_d, y]; the
// linear-regression family): metrics score the fit from them (test error against a regression
// source's true weights, test MSE on held-out rows). Both require a fitted model.
class HasRegressionWeights {
public:
    virtual ~HasRegressionWeights() = default;
    virtual const Vector& regression_weights() const = 0;  // d entries
    virtual double regression_intercept() const = 0;       // 0 for a fit without intercept
};

// Implemented by families whose fitted model is a categorical distribution over 0..K-1 (the
// categorical family): metrics compare the distribution the samples come from with the real one
// exactly, without sampling noise (metrics/categorical_metrics.h).
class HasCategoricalProbabilities {
public:
    virtual ~HasCategoricalProbabilities() = default;
    // The probabilities sample(n, bias, ...) draws from, in category order: the fit after the
    // family's truncation and the sampling bias lambda = `bias` in (0, 1]. Requires a fit.
    virtual std::vector<double> sampling_probabilities(double bias) const = 0;
    // The fitted probabilities themselves, before truncation and bias. Requires a fit.
    virtual std::vector<double> fitted_probabilities() const = 0;
};

// A vector family's held-out score from its mean negative log-density: {"nll", value}, or no
// value when there is no density or it is not finite (a degenerate density far from the data).
NamedValues nll_score(const std::optional<double>& mean_nll);

}  // namespace madlab
