#pragma once
// A categorical distribution over the categories 0..K-1, refitted by its empirical frequencies:
// the simplest model of statistical approximation error (SCIENCE.md section 4). Data is one
// column of category indices (data/categorical_source.h).
//
// Fit: p_i = (c_i + alpha) / (n + K alpha) with c_i the count of category i among the n training
// values and alpha >= 0 the additive (Dirichlet, "add-alpha") smoothing; alpha = 0 is the
// maximum-likelihood fit, under which a category whose count hits zero is lost for good (zero
// is absorbing) and a fully-synthetic (replace) chain ends on one category: neutral
// Wright-Fisher resampling (Fisher 1930, Wright 1931).
//
// Sampling draws exactly (inverse transform, core/discrete_sampler.h) from
//   q_i proportional to p_i^(1/lambda)   for the top_k most probable categories of the fit,
//   q_i = 0                              for the others,
// with top_k = 0 meaning every category, ties in p broken by the lower index, and lambda the
// sampling bias used as a temperature (as the text families do, SCIENCE.md section 3). top_k is
// the analogue of top-k decoding in Dohmatob et al. 2024, "A Tale of Tails": a generation can
// only produce its k most probable categories, which cuts the tail of the distribution.
// Truncating before or after the temperature gives the same q (p^(1/lambda) keeps the order).
//
// A fit on data of one category is normal (collapse makes it): p is then a point mass (with
// alpha = 0) and every sample is that category.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "madlab/models/generative_model.h"

namespace madlab {

struct CategoricalOptions {
    // K, the number of categories (model.categories); 0 = 1 + the largest index in the training
    // data of each fit (a study fills in the source's K: study/study_config.h).
    std::size_t categories = 0;
    // alpha >= 0, the pseudo-count added to every category (model.smoothing).
    double smoothing = 0.0;
    // Sampling draws only from the top_k most probable categories of the fit (0 = all).
    std::size_t top_k = 0;
};

class CategoricalModel : public ContinuousModel, public HasCategoricalProbabilities {
public:
    // Throws ConfigError naming model.smoothing if it is negative or not finite.
    explicit CategoricalModel(CategoricalOptions options = {});

    std::string family() const override { return "categorical"; }
    std::unique_ptr<ContinuousModel> clone() const override;

    // The fitted (smoothed) probabilities p, K of them. Requires a fit.
    const std::vector<double>& probabilities() const;
    // q as in the class comment. Requires a fit and bias in (0, 1].
    std::vector<double> sampling_probabilities(double bias) const override;
    std::vector<double> fitted_probabilities() const override { return probabilities(); }
    // -(1/n) sum ln p[x_i] under the fitted p (before top_k and the bias, as the other families
    // score their fit); nullopt when a value has probability 0 (a lost category, alpha = 0).
    // Throws DataError when a value is not a category index of the fit.
    std::optional<double> mean_nll(const Matrix& x) const;

    const CategoricalOptions& options() const { return options_; }

protected:
    // Throws DataError when the data is not one column of category indices in 0..K-1.
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override;
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const override;
    NamedValues do_score_held_out(const Matrix& x) const override { return nll_score(mean_nll(x)); }

private:
    CategoricalOptions options_;
    std::vector<double> probabilities_;
};

// The indices of the k largest entries of p (all when k = 0 or k >= p.size()), largest first,
// ties broken by the lower index.
std::vector<std::size_t> top_categories(const std::vector<double>& p, std::size_t k);

}  // namespace madlab
