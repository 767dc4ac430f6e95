#pragma once
// The registry: builds sources, models and metrics from their config sections. Adding a family
// means one line here (plus its own files, tests and benchmark).

#include <memory>
#include <vector>

#include "madlab/data/real_source.h"
#include "madlab/data/text_source.h"
#include "madlab/metrics/metric.h"
#include "madlab/models/generative_model.h"
#include "madlab/study/study_config.h"

namespace madlab {

// Loads file sources (CSV / NPY) or builds a built-in distribution. Throws DataError for a bad
// file, ConfigError for a bad setting.
std::unique_ptr<RealSource> make_source(const SourceConfig& config);

// The text corpus of a `source.kind = "text"` config, with its held-out split.
std::unique_ptr<TextSource> make_text_source(const SourceConfig& config);

// An unfitted model of the configured family.
std::unique_ptr<ContinuousModel> make_model(const ModelConfig& config);

// The configured metrics, in the order of metrics.list. `threads` is the thread count each
// metric may use inside one chain.
std::vector<std::unique_ptr<Metric>> make_metrics(const MetricsConfig& config, int threads);

}  // namespace madlab
