#include "madlab/study/factory.h"

#include <fmt/core.h>

#include "madlab/core/error.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/data/file_source.h"
#include "madlab/metrics/collapse.h"
#include "madlab/metrics/frechet.h"
#include "madlab/metrics/gaussian_drift.h"
#include "madlab/metrics/kid.h"
#include "madlab/metrics/likelihood.h"
#include "madlab/metrics/prdc.h"
#include "madlab/models/gaussian.h"
#include "madlab/models/gmm.h"
#include "madlab/models/kde.h"

namespace madlab {

std::unique_ptr<RealSource> make_source(const SourceConfig& config) {
    if (config.kind == "gaussian") {
        const int d = config.dim;
        Vector mean(d);
        SquareMatrix covariance(d, d);
        for (int i = 0; i < d; ++i) {
            mean(i) = config.mean[i];
            for (int j = 0; j < d; ++j) covariance(i, j) = config.covariance[i][j];
        }
        return std::make_unique<GaussianSource>(std::move(mean), std::move(covariance));
    }
    if (config.kind == "csv" || config.kind == "npy") {
        FileSourceOptions options;
        options.test_fraction = config.test_fraction;
        options.split_seed = config.split_seed;
        return std::make_unique<FileSource>(load_file_source(config.path, options));
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
    if (config.family == "gaussian") return std::make_unique<GaussianModel>(config.gaussian);
    if (config.family == "gmm") return std::make_unique<GmmModel>(config.gmm);
    if (config.family == "kde") return std::make_unique<KdeModel>(config.kde);
    throw ConfigError(fmt::format("model.family: unknown family '{}'", config.family));
}

std::vector<std::unique_ptr<Metric>> make_metrics(const MetricsConfig& config, int threads) {
    std::vector<std::unique_ptr<Metric>> metrics;
    for (const auto& name : config.names) {
        if (name == "frechet")
            metrics.push_back(std::make_unique<FrechetMetric>());
        else if (name == "prdc")
            metrics.push_back(std::make_unique<PrdcMetric>(config.k, threads));
        else if (name == "nll")
            metrics.push_back(std::make_unique<NllMetric>());
        else if (name == "gaussian_drift")
            metrics.push_back(std::make_unique<GaussianDriftMetric>());
        else if (name == "kid") {
            KidOptions kid;
            kid.threads = threads;
            metrics.push_back(std::make_unique<KidMetric>(kid));
        } else
            throw ConfigError(fmt::format("metrics.list: unknown metric '{}'", name));
    }
    // Always measured: whether the chain has collapsed (its fraction over seeds is a summary).
    metrics.push_back(std::make_unique<CollapseMetric>(config.collapse_ratio));
    return metrics;
}

}  // namespace madlab
