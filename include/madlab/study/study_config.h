#pragma once
// The typed study configuration and its reader. A study file (TOML) has the sections [study],
// [source], [model], [schedule], [metrics] (the base), and any number of [[settings]] tables,
// each with a `name` and keys that override the base (e.g. schedule.preset = "fresh-data"), and
// an optional [sweep] table: a cartesian grid over config keys ("model.bias" = [1.0, 0.5]) that
// multiplies the named settings.
// docs/config.md documents every key with its default.

#include <cstdint>
#include <string>
#include <vector>

#include "madlab/loop/schedule.h"
#include "madlab/models/model_registry.h"
#include "madlab/study/flat_config.h"

namespace madlab {

struct SourceConfig {
    // gaussian | grid25 | ring8 | two-gaussians | rosenbrock | csv | npy | text | idx | digits |
    // linear-regression | categorical | zipf | words
    std::string kind = "grid25";
    std::string path;              // csv / npy / text / words file
    double test_fraction = 0.2;    // csv / npy: share of rows held out for testing
    std::uint64_t split_seed = 0;  // csv / npy: seed of the held-out split
    // gaussian: dimension, mean (default zeros) and covariance (default identity).
    int dim = 2;
    std::vector<double> mean;
    std::vector<std::vector<double>> covariance;  // empty: isotropic_variance * I
    // The covariance written as a number (source.covariance = 0.5), or 1 when it is not given:
    // kept as a number, so that a large source.dim builds no d x d matrix while reading.
    double isotropic_variance = 1.0;
    // linear-regression: dim is the number of features d (default 10, or the length of
    // weights); weights are the true w* (empty: 1/sqrt(d) each); noise is the label noise sigma.
    std::vector<double> weights;
    double noise = 1.0;
    // text: a file, a folder of .txt files or a .jsonl file.
    std::string tokens = "word";       // word (whitespace, as KenLM) or char
    std::size_t held_out_every = 20;   // hold out every k-th line (unless test_fraction is set)
    bool split_sentences = false;      // split long lines at sentence ends
    std::string jsonl_field = "text";  // the text field of .jsonl lines
    // idx / digits (images): the IDX label file (empty: derived from path) and the classes kept.
    std::string labels_path;
    std::vector<int> labels;
    // Categorical sources (data/categorical_source.h): categorical: the probabilities (or
    // weights, normalised); zipf and words: K (words: the K most frequent words, 1000 by
    // default); zipf: the exponent beta.
    std::vector<double> probabilities;
    std::size_t categories = 0;
    double zipf_exponent = 1.0;
    // The number of categories when the source is categorical (known from the config alone),
    // else 0.
    std::size_t category_count() const;
};

struct ModelConfig {
    std::string family = "gmm";  // a registered family (models/model_registry.h)
    double bias = 1.0;           // sampling bias lambda in (0, 1]
    // The values of the family's own keys (model.<key>), every key that applies to the study's
    // kind of data, set or at its default.
    Params params;
    // Image sources: the family models the top pca_components principal components of the real
    // training pool (samples mapped back to pixels, clipped to [0, 1]); 0 = raw pixels.
    std::size_t pca_components = 0;
};

struct MetricsConfig {
    std::vector<std::string> names = {"frechet", "prdc", "nll", "gaussian_drift"};
    std::size_t n_eval = 1000;  // model samples per generation (M)
    std::size_t n_test = 1000;  // held-out real points (N)
    // The values of the registered metrics' keys (metrics/metric_registry.h: metrics.k...),
    // every key of every registered metric, set or at its default.
    Params params;
    // "collapsed" when the sample variance < ratio * the real variance.
    double collapse_ratio = 0.01;
    std::size_t token_budget = 10000;  // text: sampled tokens read by distinct-n, entropy, Zipf
    // Image sources: the fixed feature space of the metrics: "pca" (the top feature_components
    // principal components of the real training pool) or "pixels".
    std::string features = "pixels";
    std::size_t feature_components = 32;
};

// Everything one chain needs besides its seed.
struct ChainConfig {
    SourceConfig source;
    ModelConfig model;
    std::string preset = "fully-synthetic";
    std::size_t n = 1000;  // schedule.n: the per-generation size the preset starts from
    ScheduleOptions schedule;
    MetricsConfig metrics;
};

struct Setting {
    std::string name;   // unique in the study and stable across runs: the setting's name, plus
                        // the swept values ("fresh-data n_real_fresh=100 bias=0.9")
    std::string label;  // readable: "fresh-data: schedule.n_real_fresh=100, model.bias=0.9"
    ChainConfig config;
    FlatConfig overrides;  // the keys this setting changes, as written
};

struct StudyConfig {
    std::string name = "study";
    std::string description;
    int seeds = 10;                // number of seeds (chains per setting)
    std::uint64_t first_seed = 0;  // seeds are first_seed, first_seed + 1, ...
    int generations = 20;          // generations 0..generations
    int threads = 0;               // 0 = all cores
    // Samples kept for the report, for the first seed of every setting (study.sample_*):
    // the generations (-1 = the last; empty = 0, 1, 5, 10 and the last for points, every
    // generation for text), how many points and how many text lines (0 = keep none).
    std::vector<int> sample_generations;
    std::size_t sample_points = 500;
    std::size_t sample_lines = 20;
    std::string file;  // where the config came from ("" for the built-in)
    ChainConfig base;
    FlatConfig base_flat;
    std::vector<Setting> settings;   // at least one: named settings x sweep grid
    bool explicit_settings = false;  // the file had [[settings]] or a [sweep]
    FlatConfig analysis;             // [threshold] and [decompose] keys, read by their commands
    // The keys that tell the settings apart, one column each in records.csv, `madlab export`
    // and the database's results_wide view: study.parameters, by default the [sweep] keys in
    // the order they are written (none without a sweep).
    std::vector<std::string> parameters;
};

// Parses and validates a study from TOML text. `file` names the source in messages.
// Throws ConfigError naming the file, line and key for every problem: a TOML syntax error, an
// unknown key (with the closest valid key), a value of the wrong type or out of range.
// `set`: `madlab run --set KEY=VALUE` options (apply_set_options), applied to the file's base
// keys before they are read, and checked as the file's keys are (the message names "--set").
StudyConfig parse_study(const std::string& toml_text, const std::string& file,
                        const std::vector<std::string>& set = {});

// Reads and parses a study file; ConfigError if it cannot be read.
StudyConfig load_study(const std::string& path, const std::vector<std::string>& set = {});

// The default study (see default_study.cpp): the MAD grid experiment of the README.
const std::string& default_study_toml();

// Every key a study file may contain (for docs and suggestions), e.g. "model.bias".
const std::vector<std::string>& valid_keys();

}  // namespace madlab
