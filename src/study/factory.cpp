#include "madlab/study/factory.h"

#include <fmt/core.h>

#include <algorithm>

#include "madlab/core/error.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/data/categorical_source.h"
#include "madlab/data/file_source.h"
#include "madlab/data/image_source.h"
#include "madlab/data/regression_source.h"
#include "madlab/metrics/collapse.h"
#include "madlab/metrics/feature_map.h"
#include "madlab/metrics/fixed_vocabulary_perplexity.h"
#ifdef MADLAB_HAVE_NEURAL
#include "madlab/neural/lenet_features.h"
#endif
#include "madlab/metrics/metric_registry.h"
#include "madlab/metrics/text_metrics.h"
#include "madlab/models/model_registry.h"
#include "madlab/models/pca_model.h"

namespace madlab {

std::unique_ptr<RealSource> make_source(const SourceConfig& config) {
    if (config.kind == "gaussian") {
        const int d = config.dim;
        Vector mean(d);
        for (int i = 0; i < d; ++i) mean(i) = config.mean[i];
        SquareMatrix covariance = config.isotropic_variance * SquareMatrix::Identity(d, d);
        if (!config.covariance.empty())
            for (int i = 0; i < d; ++i)
                for (int j = 0; j < d; ++j) covariance(i, j) = config.covariance[i][j];
        return std::make_unique<GaussianSource>(std::move(mean), std::move(covariance));
    }
    if (config.kind == "linear-regression") {
        Vector weights = RegressionSource::default_weights(static_cast<std::size_t>(config.dim));
        if (!config.weights.empty())
            weights = Eigen::Map<const Vector>(config.weights.data(),
                                               static_cast<Eigen::Index>(config.weights.size()));
        return std::make_unique<RegressionSource>(std::move(weights), config.noise);
    }
    if (config.kind == "csv" || config.kind == "npy") {
        FileSourceOptions options;
        options.test_fraction = config.test_fraction;
        options.split_seed = config.split_seed;
        return std::make_unique<FileSource>(load_file_source(config.path, options));
    }
    if (config.kind == "idx" || config.kind == "digits") {
        ImageSourceOptions options;
        options.kind = config.kind;
        options.path = config.path;
        options.labels_path = config.labels_path;
        options.labels = config.labels;
        options.test_fraction = config.test_fraction;
        options.split_seed = config.split_seed;
        return std::make_unique<ImageSource>(load_image_source(options));
    }
    if (config.kind == "categorical")
        return std::make_unique<CategoricalSource>(config.probabilities);
    if (config.kind == "zipf")
        return std::make_unique<CategoricalSource>(
            make_zipf_source(config.categories, config.zipf_exponent));
    if (config.kind == "words") {
        TextOptions options;
        options.tokens = config.tokens == "char" ? TextOptions::Tokens::kCharacter
                                                 : TextOptions::Tokens::kWhitespace;
        options.jsonl_field = config.jsonl_field;
        return std::make_unique<CategoricalSource>(
            make_words_source(config.path, config.categories, options));
    }
    return make_builtin_source(config.kind);
}

std::unique_ptr<TextSource> make_text_source(const SourceConfig& config) {
    TextSourceOptions options;
    options.text.tokens = config.tokens == "char" ? TextOptions::Tokens::kCharacter
                                                  : TextOptions::Tokens::kWhitespace;
    options.text.split_sentences = config.split_sentences;
    options.text.jsonl_field = config.jsonl_field;
    options.held_out_every = config.held_out_every;
    options.test_fraction = config.test_fraction;
    options.split_seed = config.split_seed;
    return std::make_unique<TextSource>(load_text_source(config.path, options));
}

std::unique_ptr<ContinuousModel> make_model(const ModelConfig& config) {
    const ModelFamily* family = find_model_family(config.family);
    if (family == nullptr)
        throw ConfigError(fmt::format("model.family: unknown family '{}'", config.family));
    if (!family->models_vectors())
        throw ConfigError(fmt::format("model.family = \"{}\" models text only", config.family));
    return family->make_vectors(config.params);
}

std::unique_ptr<TextModel> make_text_model(const ModelConfig& config, const TextSource& source) {
    const ModelFamily* family = find_model_family(config.family);
    if (family == nullptr || !family->models_text())
        throw ConfigError(fmt::format("model.family: unknown text family '{}'", config.family));
    return family->make_text(config.params, source);
}

std::vector<std::unique_ptr<TextMetric>> make_text_metrics(const MetricsConfig& config) {
    std::vector<std::unique_ptr<TextMetric>> metrics;
    metrics.push_back(std::make_unique<TextPerplexityMetric>());
    metrics.push_back(std::make_unique<VocabularyRetentionMetric>());
    metrics.push_back(std::make_unique<SampleUnknownRateMetric>());
    metrics.push_back(std::make_unique<TextSampleMetric>(config.token_budget));
    return metrics;
}

std::vector<std::unique_ptr<Metric>> make_metrics(const MetricsConfig& config, int threads) {
    std::vector<std::unique_ptr<Metric>> metrics;
    for (const auto& name : config.names) {
        const MetricEntry* metric = find_metric(name);
        if (metric == nullptr)
            throw ConfigError(fmt::format("metrics.list: unknown metric '{}'", name));
        metrics.push_back(metric->make(config.params, threads));
    }
    // Always measured: whether the chain has collapsed (its fraction over seeds is a summary).
    metrics.push_back(std::make_unique<CollapseMetric>(config.collapse_ratio));
    return metrics;
}

}  // namespace madlab

namespace madlab {

std::size_t source_pca_components(const ChainConfig& config) {
    return std::max(config.model.pca_components,
                    config.metrics.features == "pca" ? config.metrics.feature_components : 0);
}

std::shared_ptr<const Pca> make_source_pca(const ChainConfig& config, const RealSource& source) {
    const std::size_t model_k = config.model.pca_components;
    const std::size_t metric_k =
        config.metrics.features == "pca" ? config.metrics.feature_components : 0;
    if (model_k == 0 && metric_k == 0) return nullptr;
    const auto* images = dynamic_cast<const ImageSource*>(&source);
    if (images == nullptr)
        throw ConfigError(
            "model.pca_components and metrics.features = \"pca\" apply to image sources "
            "(source.kind = \"idx\" or \"digits\")");
    const char* key = model_k >= metric_k ? "model.pca_components" : "metrics.pca_components";
    // The training pool in place: no copy of a large image set.
    return std::make_shared<const Pca>(Pca::fit_rows(
        images->file().data(), images->file().train_rows(), std::max(model_k, metric_k), key));
}

namespace {

std::unique_ptr<ContinuousModel> with_pca(std::unique_ptr<ContinuousModel> model,
                                          const ModelConfig& config,
                                          const std::shared_ptr<const Pca>& pca) {
    if (config.pca_components == 0) return model;
    if (!pca) throw ConfigError("model.pca_components needs an image source");
    return std::make_unique<PcaModel>(
        std::make_shared<const Pca>(pca->truncated(config.pca_components)), std::move(model));
}

}  // namespace

std::unique_ptr<ContinuousModel> make_model(const ModelConfig& config,
                                            const std::shared_ptr<const Pca>& pca) {
    return with_pca(make_model(config), config, pca);
}

std::shared_ptr<const FeatureMap> make_source_features(const ChainConfig& config,
                                                       const RealSource& source) {
    if (config.metrics.features != "lenet") return nullptr;
    const auto* images = dynamic_cast<const ImageSource*>(&source);
    if (images == nullptr)
        throw ConfigError(
            "metrics.features = \"lenet\" applies to image sources "
            "(source.kind = \"idx\" or \"digits\")");
#ifdef MADLAB_HAVE_NEURAL
    return std::make_shared<const LenetFeatureMap>(
        images->training_pool(), images->training_labels(), images->shape()[0], images->shape()[1],
        fmt::format("{} real training images of {}", images->file().n_train(), images->describe()));
#else
    throw ConfigError(
        "metrics.features = \"lenet\" needs madlab built with LibTorch (the CMake option "
        "MADLAB_NEURAL, on by default; install libtorch-dev with scripts/install-deps.sh)");
#endif
}

std::vector<std::unique_ptr<Metric>> make_metrics(
    const MetricsConfig& config, int threads, const std::shared_ptr<const Pca>& pca,
    const std::shared_ptr<const FeatureMap>& features) {
    std::vector<std::unique_ptr<Metric>> metrics = make_metrics(config, threads);
    if (config.features == "lenet") {
        if (!features) throw ConfigError("metrics.features = \"lenet\" needs an image source");
        return in_feature_space(std::move(metrics), features);
    }
    if (config.features != "pca") return metrics;
    if (!pca) throw ConfigError("metrics.features = \"pca\" needs an image source");
    const std::size_t k = config.feature_components;
    auto map =
        std::make_shared<const PcaFeatureMap>(std::make_shared<const Pca>(pca->truncated(k)),
                                              fmt::format("pca({}) of the real training pool", k));
    return in_feature_space(std::move(metrics), std::move(map));
}

}  // namespace madlab
