#include "madlab/metrics/categorical_metrics.h"

#include <algorithm>
#include <cmath>

#include "madlab/data/categorical_source.h"
#include "madlab/metrics/metric_registry.h"

namespace madlab {

CategoricalComparison compare_categorical(std::span<const double> q, std::span<const double> p) {
    CategoricalComparison out;
    const std::size_t k = std::max(q.size(), p.size());
    double kl = 0.0;
    bool kl_finite = true;
    double abs_diff = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
        const double qi = i < q.size() ? q[i] : 0.0;
        const double pi = i < p.size() ? p[i] : 0.0;
        abs_diff += std::abs(qi - pi);
        if (qi > 0.0) {
            ++out.categories_kept;
            out.entropy -= qi * std::log(qi);
            out.collision += qi * qi;
            if (pi > 0.0)
                kl += qi * std::log(qi / pi);
            else
                kl_finite = false;
        } else {
            out.lost_mass += pi;
        }
    }
    out.tv = 0.5 * abs_diff;
    // KL >= 0 exactly; rounding can leave -1e-17 when q = p.
    if (kl_finite) out.kl = std::max(kl, 0.0);
    return out;
}

std::optional<std::vector<double>> category_frequencies(const Matrix& x) {
    if (x.rows() == 0 || x.cols() < 1) return std::nullopt;
    std::vector<double> counts;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const double v = x(i, 0);
        if (!(v >= 0.0) || v != std::floor(v) || v > 1e9) return std::nullopt;
        const auto c = static_cast<std::size_t>(v);
        if (c >= counts.size()) counts.resize(c + 1, 0.0);
        counts[c] += 1.0;
    }
    for (double& c : counts) c /= static_cast<double>(x.rows());
    return counts;
}

MetricValues CategoricalMetric::compute(const MetricInput& input) const {
    std::vector<double> q;
    const auto* model = dynamic_cast<const HasCategoricalProbabilities*>(&input.model);
    if (model != nullptr) {
        q = model->sampling_probabilities(input.bias);
    } else if (auto f = category_frequencies(input.samples)) {
        q = std::move(*f);
    } else {
        return {};
    }
    std::vector<double> p;
    if (const auto* source = dynamic_cast<const CategoricalSource*>(input.source)) {
        p = source->probabilities();
    } else if (auto f = category_frequencies(input.real_test)) {
        p = std::move(*f);
    } else {
        return {};
    }
    const CategoricalComparison c = compare_categorical(q, p);
    MetricValues values{{"categories_kept", static_cast<double>(c.categories_kept)},
                        {"lost_mass", c.lost_mass},
                        {"tv", c.tv}};
    if (c.kl) values.emplace_back("kl", *c.kl);
    values.emplace_back("entropy", c.entropy);
    values.emplace_back("collision", c.collision);
    if (model != nullptr)
        values.emplace_back("fit_lost_mass",
                            compare_categorical(model->fitted_probabilities(), p).lost_mass);
    return values;
}

namespace {

const MetricRegistrar kCategoricalMetric({
    .name = "categorical",
    .help = "categorical data: the model's sampling distribution against the real one, exactly "
            "(records categories_kept, lost_mass, tv, kl = KL(model || real), entropy, "
            "collision, fit_lost_mass)",
    .make = [](const Params&, int) { return std::unique_ptr<Metric>(new CategoricalMetric()); },
});

}  // namespace

}  // namespace madlab
