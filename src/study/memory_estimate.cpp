#include "madlab/study/memory_estimate.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "madlab/core/error.h"

namespace madlab {

namespace {

constexpr double kDouble = 8.0;
// A record in memory: its setting and metric names, seed, generation and value in a vector with
// room to grow. Records stream to the database; only those of generation 0 and of the last
// generation are read back, by the report, which pairs them per seed.
constexpr double kRecordBytes = 150.0;
// Records of a generation: the metrics, the training set's values, the fit's values.
constexpr double kRecordsPerGeneration = 24.0;

// Width of a data point before any file is read: the Gaussian's dimension, a linear-regression
// row's d features and its label, 2 for the other
// built-in sources, the pixels of an image (784 for 28 x 28 IDX files, 64 for the 8 x 8 UCI
// digits), 1 for categorical sources; text lines count as 32 numbers (the 4-byte token ids and
// offsets of a line of about 30 tokens). CSV and NPY files are bounded by the files themselves (0
// here).
double point_width(const SourceConfig& source) {
    if (source.kind == "gaussian") return source.dim;
    if (source.kind == "linear-regression") return source.dim + 1.0;
    if (source.kind == "idx") return 784.0;
    if (source.kind == "digits") return 64.0;
    if (source.kind == "text") return 32.0;
    if (source.kind == "csv" || source.kind == "npy") return 0.0;
    if (source.category_count() > 0) return 1.0;  // one category index per point
    return 2.0;
}

// Width of what the model fits: the principal components of an image source when it has them.
double model_width(const ChainConfig& c, double d) {
    return c.model.pca_components > 0 ? std::min<double>(d, c.model.pca_components) : d;
}

// Whether the family holds a d x d matrix per component (the Gaussian families).
bool holds_covariances(const ChainConfig& c) {
    return c.model.family == "gaussian" || c.model.family == "gmm";
}

// Rows of the largest training set of a chain: generation 0's real data, a later generation's
// new rows, and under accumulate every generation's rows (unless subsampled).
double largest_training_rows(const ChainConfig& c, int generations) {
    const ScheduleOptions& s = c.schedule;
    const double fresh = static_cast<double>(s.n_real_fixed + s.n_real_fresh + s.n_synthetic);
    const double initial = static_cast<double>(s.n_real_initial);
    if (!s.accumulate) return std::max(initial, fresh);
    const double pool = initial + fresh * generations;
    return s.subsample > 0 ? pool + static_cast<double>(s.subsample) : pool;
}

// Mixture components of the family (1 for the others).
double components(const ChainConfig& c) {
    return c.model.params.has("components")
               ? static_cast<double>(c.model.params.get_int("components"))
               : 1.0;
}

}  // namespace

MemoryEstimate estimate_memory(const StudyConfig& study, int threads) {
    if (threads < 0) threads = study.threads;
    const double cores = std::max(1u, std::thread::hardware_concurrency());
    const double parallel_chains = std::min<double>(
        threads == 0 ? cores : threads,
        static_cast<double>(study.settings.size()) * static_cast<double>(study.seeds));
    MemoryEstimate out;
    std::vector<MemoryTerm> chain;  // the largest chain's terms, for one chain
    double largest_chain = 0.0;
    for (const Setting& setting : study.settings) {
        const ChainConfig& c = setting.config;
        const double d = point_width(c.source);
        const double rows = largest_training_rows(c, study.generations);
        const double n_eval = static_cast<double>(c.metrics.n_eval);
        const double n_test = static_cast<double>(c.metrics.n_test);
        // The schedule key that makes the training set large: the one set far above the others
        // (schedule.n sets them all).
        const ScheduleOptions& sc = c.schedule;
        const std::string rows_key =
            sc.n_synthetic > sc.n_real_initial && sc.n_synthetic >= sc.n_real_fresh
                ? "schedule.n_synthetic"
            : sc.n_real_fresh > sc.n_real_initial ? "schedule.n_real_fresh"
                                                  : "schedule.n";
        const std::string n_key = sc.accumulate ? rows_key + " (accumulate)" : rows_key;
        const double k = components(c);
        const double w = model_width(c, d);
        // The key that sets the model's width: source.dim for a Gaussian source, else the
        // principal components of an image source.
        const bool dim_source = c.source.kind == "gaussian" || c.source.kind == "linear-regression";
        const std::string width_key = dim_source                   ? "source.dim"
                                      : c.model.pca_components > 0 ? "model.pca_components"
                                                                   : "model.components";
        std::vector<MemoryTerm> terms = {
            // The rows (and their origins), and what a fit keeps per row: EM's responsibilities,
            // a kernel density's copy of its data.
            {n_key, setting.name, "the training set of a chain and its fit",
             rows * (d * kDouble + 4.0) + rows * (k + w) * kDouble},
            // The samples and the held-out set, and the metrics' copies of both (single-precision
            // blocks stored twice for the k-NN kernel, features).
            {"metrics.n_eval", setting.name, "the model's samples for the metrics",
             n_eval * d * (kDouble + 2.0 * 4.0)},
            {"metrics.n_test", setting.name, "the held-out real data",
             n_test * d * (kDouble + 2.0 * 4.0)},
            // A covariance and its factors per component (the Gaussian families), else a few
            // copies of the data's width per component.
            {holds_covariances(c) && k <= w * w ? width_key : "model.components", setting.name,
             "the model's parameters",
             holds_covariances(c) ? 3.0 * k * w * w * kDouble : 3.0 * k * w * kDouble},
        };
        double sum = 0.0;
        for (const MemoryTerm& t : terms) sum += t.bytes;
        if (sum > largest_chain) {
            largest_chain = sum;
            chain = terms;
        }
        if (c.source.kind == "gaussian")  // the covariance, its Cholesky factor and eigenvectors
            out.terms.push_back({"source.dim", setting.name,
                                 "the Gaussian source's covariance and its factors",
                                 3.0 * d * d * kDouble});
        if (c.source.kind == "linear-regression")  // its joint covariance, for the metrics
            out.terms.push_back({"source.dim", setting.name,
                                 "the joint covariance of the linear-regression source's rows",
                                 d * d * kDouble});
    }
    for (MemoryTerm t : chain) {
        t.bytes *= parallel_chains;
        if (parallel_chains > 1) t.what += fmt::format(" (x {} chains at once)", parallel_chains);
        out.terms.push_back(std::move(t));
    }
    const double paired = static_cast<double>(study.settings.size()) * study.seeds *
                          std::min(2.0, study.generations + 1.0) * kRecordsPerGeneration;
    out.terms.push_back({"study.seeds", "",
                         "the records of the first and last generations that the report pairs",
                         paired * kRecordBytes});
    std::sort(out.terms.begin(), out.terms.end(),
              [](const MemoryTerm& a, const MemoryTerm& b) { return a.bytes > b.bytes; });
    for (const MemoryTerm& t : out.terms) out.bytes += t.bytes;
    return out;
}

double available_memory_bytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string line;
    while (std::getline(meminfo, line)) {
        std::istringstream fields(line);
        std::string name;
        double kib = 0.0;
        if (fields >> name >> kib && name == "MemAvailable:") return kib * 1024.0;
    }
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

std::string format_bytes(double bytes) {
    static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    int unit = 0;
    while (bytes >= 1000.0 && unit < 6) {
        bytes /= 1000.0;
        ++unit;
    }
    return bytes >= 99.5 || unit == 0 ? fmt::format("{:.0f} {}", bytes, kUnits[unit])
                                      : fmt::format("{:.2g} {}", bytes, kUnits[unit]);
}

void check_memory(const StudyConfig& study, int threads, double available) {
    const MemoryEstimate estimate = estimate_memory(study, threads);
    if (available <= 0.0 || estimate.bytes <= available) return;
    const MemoryTerm& top = estimate.terms.front();
    throw ConfigError(fmt::format(
        "{}{}: this study needs about {} of memory at its peak, most of it for {} ({}), but "
        "{} is available; lower {}{}",
        top.key, top.setting.empty() ? "" : " (setting '" + top.setting + "')",
        format_bytes(estimate.bytes), top.what, format_bytes(top.bytes), format_bytes(available),
        top.key.substr(0, top.key.find(' ')),
        top.what.find("chains at once") != std::string::npos ? " or the threads (--threads)" : ""));
}

}  // namespace madlab
