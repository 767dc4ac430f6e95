#include "madlab/report/metric_catalog.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace madlab {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// The domains of the catalog: shares and rates, counts and distances, perplexities, and metrics
// that can take any value (log-likelihoods, KID's unbiased estimate, log ratios).
constexpr MetricDomain kUnit{0.0, 1.0};
constexpr MetricDomain kNonNegative{0.0, kInf};
constexpr MetricDomain kAtLeastOne{1.0, kInf};
constexpr MetricDomain kAnyValue{-kInf, kInf};

const std::vector<MetricInfo>& catalog() {
    static const std::vector<MetricInfo> metrics = {
        {"precision", Better::kHigher,
         "quality: share of model samples inside the real data's k-NN balls "
         "(Kynkaanniemi et al. 2019)",
         kUnit},
        {"recall", Better::kHigher,
         "diversity: share of real points inside the model samples' k-NN balls; falls when "
         "modes are lost",
         kUnit},
        {"density", Better::kHigher,
         "quality: how many real k-NN balls a model sample falls in, on average (Naeem et al. "
         "2020; 1 = as dense as the data)",
         kNonNegative},
        {"coverage", Better::kHigher,
         "diversity: share of real points whose k-NN ball holds a model sample (Naeem et al. "
         "2020)",
         kUnit},
        {"frechet", Better::kLower,
         "Frechet distance between Gaussians fitted to real data and model samples (0 = same "
         "mean and covariance)",
         kNonNegative},
        {"nll", Better::kLower, "negative log-likelihood of held-out real data under the model",
         kAnyValue},
        {"kid", Better::kLower, "kernel inception-style distance between real data and samples",
         kAnyValue},
        {"mean_sq_err", Better::kLower, "squared distance of the model's mean from the true mean",
         kNonNegative},
        {"cov_logdet_ratio", Better::kNeither,
         "log det of the model's covariance minus the true one's; falls as variance collapses",
         kAnyValue},
        {"cov_trace_ratio", Better::kNeither,
         "trace of the model's covariance over the true one's; 1 = same total variance",
         kNonNegative},
        {"test_error", Better::kLower,
         "regression: ||w_hat - w*||^2, the fit's excess squared error on fresh design points "
         "(Gerstgrasser et al. 2024)",
         kNonNegative},
        {"test_mse", Better::kLower,
         "regression: mean squared error of the fit's predictions of held-out real labels",
         kNonNegative},
        {"perplexity", Better::kLower,
         "perplexity of held-out real text as KenLM's query: a word the model lacks costs the "
         "whole p(<unk>), so a model that loses words can score lower",
         kAtLeastOne},
        {"perplexity_fixed_vocab", Better::kLower,
         "perplexity of held-out real text over the real training vocabulary: a word the model "
         "lost costs p(<unk>) shared among the lost words, comparable across generations",
         kAtLeastOne},
        {"perplexity_excluding_oov", Better::kLower,
         "perplexity of held-out real text, words out of the vocabulary left out", kAtLeastOne},
        {"oov_rate", Better::kLower, "share of real tokens the model's vocabulary lacks", kUnit},
        {"lost_types", Better::kLower, "real word types the model can no longer produce",
         kNonNegative},
        {"lost_mass", Better::kLower,
         "real probability of the words or categories the model can no longer produce (the lost "
         "tail)",
         kUnit},
        {"fit_lost_mass", Better::kLower,
         "real probability of the categories the fit itself lacks, before top_k (Dohmatob et "
         "al. 2024's test error)",
         kUnit},
        {"categories_kept", Better::kHigher,
         "categories the model can still produce (probability > 0 after top_k and bias)",
         kNonNegative},
        {"tv", Better::kLower,
         "total variation distance between the model's categorical distribution and the real one",
         kUnit},
        {"kl", Better::kLower,
         "KL(model || real) of categorical distributions (nats; finite as categories are lost)",
         kNonNegative},
        {"entropy", Better::kNeither,
         "entropy of the model's categorical distribution (nats); falls as categories are lost",
         kNonNegative},
        {"collision", Better::kNeither,
         "probability that two samples of the model are equal (sum q_i^2); rises to 1 on "
         "collapse",
         kUnit},
        {"distinct_1", Better::kHigher, "distinct words over all words of the samples", kUnit},
        {"distinct_2", Better::kHigher, "distinct word pairs over all pairs of the samples", kUnit},
        {"distinct_3", Better::kHigher, "distinct word triples over all triples of the samples",
         kUnit},
        {"distinct_4", Better::kHigher, "distinct 4-grams over all 4-grams of the samples", kUnit},
        {"unigram_entropy", Better::kHigher, "entropy of the samples' word distribution (nats)",
         kNonNegative},
        {"zipf", Better::kNeither, "Zipf exponent of the samples' word frequencies", kAnyValue},
        {"mean_line_length", Better::kNeither, "mean tokens per sampled line", kNonNegative},
        {"train_size", Better::kNeither, "rows in the generation's training set", kNonNegative},
        {"train_tokens", Better::kNeither, "tokens in the generation's training set", kNonNegative},
        {"real_fraction", Better::kNeither, "share of real rows in the training set", kUnit},
        {"fit_converged", Better::kNeither, "1 when the fit converged", kUnit},
        {"fit_loss", Better::kNeither,
         "the neural fit's mean training loss over its last epoch (flow: NLL, vae: negative "
         "ELBO, gpt: cross-entropy, per row or token)",
         kAnyValue},
        {"neg_elbo", Better::kLower,
         "negative ELBO of held-out real data under the VAE (nats; an upper bound on the NLL)",
         kAnyValue},
        {"recon_mse", Better::kLower,
         "mean squared error per value of the VAE's reconstruction of held-out real data",
         kNonNegative},
        {"discount_fallback", Better::kNeither,
         "1 when the n-gram fit used the fallback discounts (lost singletons)", kUnit},
        {"collapsed", Better::kNeither,
         "1 when the samples' spread fell below metrics.collapse_ratio of the data's", kUnit},
    };
    return metrics;
}

}  // namespace

MetricInfo metric_info(const std::string& name) {
    for (const auto& m : catalog())
        if (m.name == name) return m;
    return {name, Better::kNeither, ""};
}

double clip_to_domain(const std::string& metric, double value) {
    if (std::isnan(value)) return value;
    const MetricDomain d = metric_info(metric).domain;
    return std::clamp(value, d.low, d.high);
}

bool log_axis_allowed(const std::string& metric) {
    const MetricDomain d = metric_info(metric).domain;
    return d.low >= 0.0 && d.high == kInf;
}

std::string metric_label(const std::string& name) {
    switch (metric_info(name).better) {
        case Better::kHigher:
            return name + " (higher is better)";
        case Better::kLower:
            return name + " (lower is better)";
        case Better::kNeither:
            break;
    }
    return name;
}

bool is_bookkeeping_metric(const std::string& name) {
    static constexpr std::array<const char*, 7> kNames = {
        "train_size", "real_fraction",     "train_tokens", "fit_converged",
        "collapsed",  "discount_fallback", "fit_loss"};
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

std::vector<std::string> headline_metrics(const std::vector<std::string>& present,
                                          const std::string& first) {
    // Text: KenLM's perplexity comes last, after entropy: it can fall while a model loses words
    // (metrics/fixed_vocabulary_perplexity.h), and the headline verdict would call that better.
    static const std::vector<std::string> kPreferred = {"test_error",
                                                        "test_mse",
                                                        "recall",
                                                        "coverage",
                                                        "precision",
                                                        "frechet",
                                                        "perplexity_fixed_vocab",
                                                        "lost_mass",
                                                        "distinct_2",
                                                        "unigram_entropy",
                                                        "perplexity",
                                                        "mean_sq_err",
                                                        "cov_logdet_ratio",
                                                        "categories_kept",
                                                        "tv"};
    const auto has = [&](const std::string& m) {
        return std::find(present.begin(), present.end(), m) != present.end();
    };
    std::vector<std::string> out;
    if (!first.empty() && has(first)) out.push_back(first);
    for (const auto& m : kPreferred)
        if (out.size() < 4 && has(m) && std::find(out.begin(), out.end(), m) == out.end())
            out.push_back(m);
    for (const auto& m : present)
        if (out.size() < 4 && !is_bookkeeping_metric(m) &&
            std::find(out.begin(), out.end(), m) == out.end())
            out.push_back(m);
    return out;
}

}  // namespace madlab
