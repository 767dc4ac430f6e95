#pragma once
// Metric "categorical": how far the distribution a categorical model samples from (q) is from
// the real distribution p, exactly, without sampling noise.
//
//   categories_kept = #{i : q_i > 0}
//   lost_mass       = sum of p_i over {i : q_i = 0}: the real probability of the categories the
//                     model can no longer produce. It is the test error of Hutter's (2021)
//                     memorisation model, which Dohmatob et al. 2024 ("A Tale of Tails") use
//                     for their scaling laws: a model fitted on T i.i.d. draws has
//                     E[lost_mass] = sum_i p_i (1 - p_i)^T.
//   tv              = (1/2) sum_i |q_i - p_i|, the total variation distance.
//   kl              = KL(q || p) = sum_{q_i > 0} q_i ln(q_i / p_i) in nats: the direction that
//                     stays finite as the model loses categories (KL(p || q) is infinite as soon
//                     as one is lost). Left out when q gives mass to a category of p_i = 0
//                     (smoothing over a category the real distribution lacks).
//   entropy         = -sum_i q_i ln q_i (nats).
//   collision       = sum_i q_i^2, the probability that two samples are equal (1 - collision is
//                     the heterozygosity of population genetics).
//   fit_lost_mass   = lost_mass of the fit itself, before top_k and the bias (models with
//                     HasCategoricalProbabilities only): the test error of the model trained on
//                     the generation's data, Dohmatob et al.'s quantity. With top_k = k the
//                     samples never reach the categories beyond the k most probable, so
//                     lost_mass never falls below their mass; a fit that also trains on fresh
//                     real data knows more of the tail, which only fit_lost_mass shows.
//
// q: from a model that exposes it (HasCategoricalProbabilities: the categorical family, with
// its top_k and the sampling bias of MetricInput::bias); otherwise the frequencies of the
// samples. p: from a categorical source (data/categorical_source.h, found through
// MetricInput::source); otherwise the frequencies of the held-out real test set, which has
// sampling noise and no mass on the categories it misses. Vectors of unequal length are padded
// with zeros. When the samples or test set hold a value that is not a category index (an
// integer >= 0), the metric records nothing.

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "madlab/metrics/metric.h"

namespace madlab {

struct CategoricalComparison {
    std::size_t categories_kept = 0;
    double lost_mass = 0.0;
    double tv = 0.0;
    std::optional<double> kl;  // nullopt: infinite
    double entropy = 0.0;
    double collision = 0.0;
};

// The values above for q (model) and p (real); both non-negative with sum 1 (not checked),
// shorter one padded with zeros.
CategoricalComparison compare_categorical(std::span<const double> q, std::span<const double> p);

// The frequencies of the values of column 0 of x over categories 0..max; nullopt when a value is
// not a category index (an integer >= 0) or x is empty.
std::optional<std::vector<double>> category_frequencies(const Matrix& x);

class CategoricalMetric : public Metric {
public:
    std::string name() const override { return "categorical"; }
    // categories_kept, lost_mass, tv, kl (when finite), entropy, collision, fit_lost_mass (when
    // the model exposes its fit).
    MetricValues compute(const MetricInput& input) const override;
};

}  // namespace madlab
