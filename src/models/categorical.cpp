#include "madlab/models/categorical.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "madlab/core/discrete_sampler.h"
#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"

namespace madlab {

namespace {

// The category index of value v, or throws DataError (`k` = 0: no upper bound).
std::size_t category_of(double v, std::size_t k) {
    if (!(v >= 0.0) || v != std::floor(v) || (k > 0 && v >= static_cast<double>(k)) || v > 1e15) {
        throw DataError(fmt::format(
            "categorical: {} is not a category index{}; the categorical family models one column "
            "of integer categories (source.kind = \"categorical\", \"zipf\" or \"words\", or a CSV "
            "of integers with model.categories set)",
            v,
            k > 0 ? fmt::format(" (an integer in 0..{}, model.categories = {})", k - 1, k)
                  : std::string(" (an integer >= 0)")));
    }
    return static_cast<std::size_t>(v);
}

}  // namespace

std::vector<std::size_t> top_categories(const std::vector<double>& p, std::size_t k) {
    std::vector<std::size_t> order(p.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const std::size_t kept = (k == 0 || k >= p.size()) ? p.size() : k;
    const auto larger = [&](std::size_t a, std::size_t b) {
        return p[a] != p[b] ? p[a] > p[b] : a < b;
    };
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept), order.end(),
                      larger);
    order.resize(kept);
    return order;
}

CategoricalModel::CategoricalModel(CategoricalOptions options) : options_(options) {
    if (!(options_.smoothing >= 0.0) || !std::isfinite(options_.smoothing))
        throw ConfigError(fmt::format("model.smoothing must be a finite number >= 0, got {}",
                                      options_.smoothing));
}

std::unique_ptr<ContinuousModel> CategoricalModel::clone() const {
    return std::make_unique<CategoricalModel>(*this);
}

FitInfo CategoricalModel::do_fit(const Matrix& train, FitContext<Matrix>& /*context*/) {
    if (train.cols() != 1)
        throw DataError(fmt::format(
            "categorical: the data has {} columns; the categorical family models one column of "
            "category indices",
            train.cols()));
    std::size_t k = options_.categories;
    if (k == 0) {
        for (Eigen::Index i = 0; i < train.rows(); ++i)
            k = std::max(k, category_of(train(i, 0), 0) + 1);
    }
    std::vector<double> counts(k, 0.0);
    for (Eigen::Index i = 0; i < train.rows(); ++i) counts[category_of(train(i, 0), k)] += 1.0;
    const double alpha = options_.smoothing;
    const double total = static_cast<double>(train.rows()) + static_cast<double>(k) * alpha;
    probabilities_.resize(k);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < k; ++i) {
        probabilities_[i] = (counts[i] + alpha) / total;
        kept += counts[i] > 0.0;
    }
    FitInfo info;
    if (kept == 1) info.note = "the training data holds a single category";
    return info;
}

const std::vector<double>& CategoricalModel::probabilities() const {
    require_fitted();
    return probabilities_;
}

std::vector<double> CategoricalModel::sampling_probabilities(double bias) const {
    require_fitted();
    if (!(bias > 0.0 && bias <= 1.0))
        throw ConfigError(fmt::format("model.bias must be in (0, 1], got {}", bias));
    const std::vector<std::size_t> kept = top_categories(probabilities_, options_.top_k);
    // q_i proportional to p_i^(1/lambda), computed as exp((ln p_i - ln p_max) / lambda) so that
    // a small lambda cannot underflow every entry: the largest is exactly 1 before normalising.
    const double log_max = std::log(probabilities_[kept.front()]);
    std::vector<double> q(probabilities_.size(), 0.0);
    double total = 0.0;
    for (std::size_t i : kept) {
        if (probabilities_[i] <= 0.0) continue;
        q[i] = bias == 1.0 ? probabilities_[i]
                           : std::exp((std::log(probabilities_[i]) - log_max) / bias);
        total += q[i];
    }
    for (double& v : q) v /= total;
    return q;
}

Matrix CategoricalModel::do_sample(std::size_t n, double bias, Rng& rng,
                                   std::string_view /*purpose*/) const {
    const DiscreteSampler sampler(sampling_probabilities(bias));
    Matrix out(static_cast<Eigen::Index>(n), 1);
    for (Eigen::Index i = 0; i < out.rows(); ++i)
        out(i, 0) = static_cast<double>(sampler.draw(rng));
    return out;
}

std::optional<double> CategoricalModel::mean_nll(const Matrix& x) const {
    require_fitted();
    if (x.cols() != 1 || x.rows() == 0)
        throw DataError(fmt::format(
            "categorical: mean_nll needs a non-empty column of category indices, got {} x {}",
            x.rows(), x.cols()));
    double sum = 0.0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const double v = x(i, 0);
        // A held-out category beyond the fit's K (K from the data) has probability 0.
        if (v >= static_cast<double>(probabilities_.size()) && v == std::floor(v))
            return std::nullopt;
        const double p = probabilities_[category_of(v, probabilities_.size())];
        if (p <= 0.0) return std::nullopt;
        sum -= std::log(p);
    }
    return sum / static_cast<double>(x.rows());
}

namespace {

const ModelFamilyRegistrar kCategoricalFamily({
    .name = "categorical",
    .help = "categorical distribution over 0..K-1 refitted by its (smoothed) empirical "
            "frequencies; samples exactly, optionally from its top k categories only",
    .keys = {{.name = "categories",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{0},
              .min = 0,
              .max = 100000000,
              .help = "K, the number of categories; 0 = the categorical source's K (else 1 + "
                      "the largest index in each training set)"},
             {.name = "smoothing",
              .type = ConfigKey::Type::kDouble,
              .default_value = 0.0,
              .help = "additive (Dirichlet) smoothing alpha: a pseudo-count added to every "
                      "category (0 = maximum likelihood: a lost category never returns)"},
             {.name = "top_k",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{0},
              .min = 0,
              .max = 100000000,
              .help = "sample only the k most probable categories of the fit, renormalised "
                      "(top-k decoding; Dohmatob et al. 2024); 0 = all"}},
    .make_vectors =
        [](const Params& p) {
            CategoricalOptions options;
            options.categories = static_cast<std::size_t>(p.get_int("categories"));
            options.smoothing = p.get_double("smoothing");
            options.top_k = static_cast<std::size_t>(p.get_int("top_k"));
            return std::unique_ptr<ContinuousModel>(std::make_unique<CategoricalModel>(options));
        },
});

}  // namespace

}  // namespace madlab
