#pragma once
// The registry: builds sources, models and metrics from their config sections. Adding a family
// means one line here (plus its own files, tests and benchmark).

#include <memory>
#include <vector>

#include "madlab/data/real_source.h"
#include "madlab/data/text_source.h"
#include "madlab/metrics/feature_map.h"
#include "madlab/metrics/metric.h"
#include "madlab/models/generative_model.h"
#include "madlab/models/pca.h"
#include "madlab/models/text_model.h"
#include "madlab/study/study_config.h"

namespace madlab {

// Loads file sources (CSV / NPY) or builds a built-in distribution. Throws DataError for a bad
// file, ConfigError for a bad setting.
std::unique_ptr<RealSource> make_source(const SourceConfig& config);

// The text corpus of a `source.kind = "text"` config, with its held-out split.
std::unique_ptr<TextSource> make_text_source(const SourceConfig& config);

// An unfitted model of the configured family, for vectors and images.
std::unique_ptr<ContinuousModel> make_model(const ModelConfig& config);

// An unfitted language model of the configured family (ngram or external) for the text of
// `source` (its vocabulary and tokenisation).
std::unique_ptr<TextModel> make_text_model(const ModelConfig& config, const TextSource& source);

// The metrics of a text study, in the order they are recorded: perplexity of held-out real text
// (KenLM's and over the fixed vocabulary of the training split, TextPerplexityMetric),
// vocabulary retention, the unknown-word rate of the samples, the sample statistics.
std::vector<std::unique_ptr<TextMetric>> make_text_metrics(const MetricsConfig& config);

// The configured metrics, in the order of metrics.list. `threads` is the thread count each
// metric may use inside one chain.
std::vector<std::unique_ptr<Metric>> make_metrics(const MetricsConfig& config, int threads);

// Image sources (docs/images.md): the PCA of the source's training pool (never its test split)
// with as many components as model.pca_components and metrics.pca_components need; nullptr when
// neither uses PCA. Fitted once per source and shared by every chain and generation.
std::shared_ptr<const Pca> make_source_pca(const ChainConfig& config, const RealSource& source);
// The number of components make_source_pca fits (0: none).
std::size_t source_pca_components(const ChainConfig& config);

// make_model, wrapped in the PCA's first model.pca_components components when that is > 0.
std::unique_ptr<ContinuousModel> make_model(const ModelConfig& config,
                                            const std::shared_ptr<const Pca>& pca);

// Image sources with metrics.features = "lenet" (neural/lenet_features.h): the LeNet feature
// map trained on the source's labelled training pool; nullptr for other features. Throws
// ConfigError when madlab was built without LibTorch, DataError for images without labels.
std::shared_ptr<const FeatureMap> make_source_features(const ChainConfig& config,
                                                       const RealSource& source);

// make_metrics, computed in the PCA's first metrics.pca_components components when
// metrics.features = "pca", in `features` when it is "lenet" (except nll, which reads the
// model's own density).
std::vector<std::unique_ptr<Metric>> make_metrics(
    const MetricsConfig& config, int threads, const std::shared_ptr<const Pca>& pca,
    const std::shared_ptr<const FeatureMap>& features);

}  // namespace madlab
