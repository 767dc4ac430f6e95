#include "madlab/study/study_config.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "madlab/core/error.h"

namespace madlab {

namespace {

const std::vector<std::string> kStudyKeys = {"study.name", "study.description", "study.seeds",
                                             "study.seed", "study.generations", "study.threads"};
const std::vector<std::string> kChainKeys = {"source.kind",
                                             "source.path",
                                             "source.test_fraction",
                                             "source.split_seed",
                                             "source.dim",
                                             "source.mean",
                                             "source.covariance",
                                             "model.family",
                                             "model.bias",
                                             "model.estimator",
                                             "model.reg_covar",
                                             "model.components",
                                             "model.max_iter",
                                             "model.tol",
                                             "model.n_init",
                                             "model.bandwidth",
                                             "schedule.preset",
                                             "schedule.n",
                                             "schedule.n_real_initial",
                                             "schedule.n_synthetic",
                                             "schedule.n_real_fixed",
                                             "schedule.n_real_fresh",
                                             "schedule.accumulate",
                                             "schedule.subsample",
                                             "schedule.synthetic_from_last_k",
                                             "metrics.list",
                                             "metrics.n_eval",
                                             "metrics.n_test",
                                             "metrics.k"};

const std::vector<std::string> kSourceKinds = {"gaussian",      "grid25", "ring8",
                                               "two-gaussians", "csv",    "npy"};
const std::vector<std::string> kFamilies = {"gaussian", "gmm", "kde"};
const std::vector<std::string> kMetricNames = {"frechet", "prdc", "nll", "gaussian_drift"};

// Family-specific model keys: using one with another family is an error.
const std::vector<std::pair<std::string, std::vector<std::string>>> kFamilyKeys = {
    {"model.estimator", {"gaussian"}},
    {"model.reg_covar", {"gaussian", "gmm"}},
    {"model.components", {"gmm"}},
    {"model.max_iter", {"gmm"}},
    {"model.tol", {"gmm"}},
    {"model.n_init", {"gmm"}},
    {"model.bandwidth", {"kde"}},
};

std::string join(const std::vector<std::string>& items) {
    return fmt::format("{}", fmt::join(items, ", "));
}

// Reads typed values from a FlatConfig, remembering which keys it read.
class KeyReader {
public:
    // `own`: the keys this reader answers for (a setting's overrides); keys of `flat` outside
    // it were inherited from the base and already checked there. nullptr: all keys are own.
    explicit KeyReader(const FlatConfig& flat, const FlatConfig* own = nullptr)
        : flat_(flat), own_(own) {}

    bool has(const std::string& key) const { return flat_.find(key) != nullptr; }
    // Whether the key was written here rather than inherited.
    bool has_own(const std::string& key) const {
        return own_ ? own_->find(key) != nullptr : has(key);
    }

    std::string where(const std::string& key) const {
        const FlatEntry* e = flat_.find(key);
        return e ? e->where() : "the built-in default";
    }

    [[noreturn]] void fail(const std::string& key, const std::string& message) const {
        throw ConfigError(fmt::format("{}: {} {}", where(key), key, message));
    }

    const toml::node* node(const std::string& key) {
        const FlatEntry* e = flat_.find(key);
        if (!e) return nullptr;
        used_.insert(key);
        return e->value.get();
    }

    std::string get_string(const std::string& key, const std::string& fallback,
                           const std::vector<std::string>& allowed = {}) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        auto v = n->value<std::string>();
        if (!v) fail(key, "must be a string (in double quotes)");
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *v) == allowed.end())
            fail(key, fmt::format("= \"{}\" is not valid; use one of: {}", *v, join(allowed)));
        return *v;
    }

    bool get_bool(const std::string& key, bool fallback) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        auto v = n->value_exact<bool>();
        if (!v) fail(key, "must be true or false");
        return *v;
    }

    std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                         std::int64_t max = std::numeric_limits<std::int64_t>::max()) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        auto v = n->value_exact<std::int64_t>();
        if (!v) fail(key, "must be an integer (no quotes, no decimal point)");
        if (*v < min || *v > max) {
            if (max == std::numeric_limits<std::int64_t>::max())
                fail(key, fmt::format("= {} is out of range; it must be >= {}", *v, min));
            fail(key, fmt::format("= {} is out of range; it must be in [{}, {}]", *v, min, max));
        }
        return *v;
    }

    double to_double(const std::string& key, const toml::node& n) const {
        if (auto i = n.value_exact<std::int64_t>()) return static_cast<double>(*i);
        if (auto d = n.value_exact<double>()) {
            if (!std::isfinite(*d)) fail(key, "must be a finite number");
            return *d;
        }
        fail(key, "must be a number");
    }

    // A number in [min, max] (or (min, max] when min_open).
    double get_double(const std::string& key, double fallback, double min, double max,
                      bool min_open = false) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        const double v = to_double(key, *n);
        if ((min_open ? v <= min : v < min) || v > max)
            fail(key, fmt::format("= {} is out of range; it must be in {}{}, {}]", v,
                                  min_open ? "(" : "[", min, max));
        return v;
    }

    std::vector<double> get_vector(const std::string& key) {
        const toml::node* n = node(key);
        if (!n) return {};
        const toml::array* a = n->as_array();
        if (!a) fail(key, "must be an array of numbers, e.g. [0.0, 1.0]");
        std::vector<double> out;
        for (const auto& item : *a) out.push_back(to_double(key, item));
        return out;
    }

    std::vector<std::string> get_strings(const std::string& key,
                                         const std::vector<std::string>& fallback,
                                         const std::vector<std::string>& allowed) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        const toml::array* a = n->as_array();
        if (!a) fail(key, "must be an array of strings, e.g. [\"frechet\", \"prdc\"]");
        std::vector<std::string> out;
        for (const auto& item : *a) {
            auto v = item.value<std::string>();
            if (!v) fail(key, "must be an array of strings");
            if (std::find(allowed.begin(), allowed.end(), *v) == allowed.end())
                fail(key, fmt::format("contains \"{}\"; valid names: {}", *v, join(allowed)));
            out.push_back(*v);
        }
        return out;
    }

    // Throws for the first key that was present but never read.
    void reject_unused(const std::vector<std::string>& valid) const {
        for (const auto& [key, entry] : (own_ ? *own_ : flat_).entries()) {
            if (used_.count(key)) continue;
            std::string message = fmt::format("{}: unknown key '{}'", entry.where(), key);
            if (auto near = closest_key(key, valid))
                message += fmt::format("; did you mean '{}'?", *near);
            else
                message += "; see docs/config.md for the valid keys";
            throw ConfigError(message);
        }
    }

private:
    const FlatConfig& flat_;
    const FlatConfig* own_;
    std::set<std::string> used_;
};

SourceConfig read_source(KeyReader& r) {
    SourceConfig s;
    s.kind = r.get_string("source.kind", s.kind, kSourceKinds);
    const bool file = s.kind == "csv" || s.kind == "npy";
    if (file) {
        s.path = r.get_string("source.path", "");
        if (s.path.empty())
            r.fail("source.path", fmt::format("is required when source.kind = \"{}\"", s.kind));
        s.test_fraction = r.get_double("source.test_fraction", s.test_fraction, 0.0, 1.0, true);
        if (s.test_fraction >= 1.0)
            r.fail("source.test_fraction", "must be below 1: some rows must remain for training");
        s.split_seed = static_cast<std::uint64_t>(r.get_int("source.split_seed", 0, 0));
    }
    if (s.kind == "gaussian") {
        s.mean = r.get_vector("source.mean");
        s.dim = static_cast<int>(
            r.get_int("source.dim", s.mean.empty() ? 2 : static_cast<std::int64_t>(s.mean.size()),
                      1, 100000));
        if (!s.mean.empty() && static_cast<int>(s.mean.size()) != s.dim)
            r.fail("source.mean",
                   fmt::format("has {} entries but source.dim = {}", s.mean.size(), s.dim));
        if (s.mean.empty()) s.mean.assign(s.dim, 0.0);
        if (const toml::node* n = r.node("source.covariance")) {
            if (n->is_number()) {
                const double v = r.to_double("source.covariance", *n);
                if (v <= 0)
                    r.fail("source.covariance", "as a number (isotropic variance) must be > 0");
                s.covariance.assign(s.dim, std::vector<double>(s.dim, 0.0));
                for (int i = 0; i < s.dim; ++i) s.covariance[i][i] = v;
            } else if (const toml::array* rows = n->as_array()) {
                if (static_cast<int>(rows->size()) != s.dim)
                    r.fail(
                        "source.covariance",
                        fmt::format("must have {} rows (source.dim), got {}", s.dim, rows->size()));
                for (const auto& row : *rows) {
                    const toml::array* cells = row.as_array();
                    if (!cells || static_cast<int>(cells->size()) != s.dim)
                        r.fail("source.covariance",
                               fmt::format("must be a {} x {} array of arrays of numbers", s.dim,
                                           s.dim));
                    std::vector<double> values;
                    for (const auto& c : *cells)
                        values.push_back(r.to_double("source.covariance", c));
                    s.covariance.push_back(values);
                }
            } else {
                r.fail("source.covariance",
                       "must be a number (isotropic variance) or a matrix [[...], ...]");
            }
        } else {
            s.covariance.assign(s.dim, std::vector<double>(s.dim, 0.0));
            for (int i = 0; i < s.dim; ++i) s.covariance[i][i] = 1.0;
        }
    }
    return s;
}

ModelConfig read_model(KeyReader& r) {
    ModelConfig m;
    m.family = r.get_string("model.family", m.family, kFamilies);
    m.bias = r.get_double("model.bias", m.bias, 0.0, 1.0, true);
    for (const auto& [key, families] : kFamilyKeys) {
        if (r.has_own(key) &&
            std::find(families.begin(), families.end(), m.family) == families.end())
            r.fail(key,
                   fmt::format("does not apply to model.family = \"{}\" (it is a setting of {})",
                               m.family, join(families)));
    }
    if (m.family == "gaussian") {
        const std::string est = r.get_string("model.estimator", "mle", {"mle", "unbiased"});
        m.gaussian.estimator =
            est == "mle" ? GaussianOptions::Estimator::kMle : GaussianOptions::Estimator::kUnbiased;
        m.gaussian.reg_covar = r.get_double("model.reg_covar", m.gaussian.reg_covar, 0.0, 1e300);
    } else if (m.family == "gmm") {
        m.gmm.components =
            static_cast<int>(r.get_int("model.components", m.gmm.components, 1, 100000));
        m.gmm.max_iter = static_cast<int>(r.get_int("model.max_iter", m.gmm.max_iter, 1, 1000000));
        m.gmm.tol = r.get_double("model.tol", m.gmm.tol, 0.0, 1e300);
        m.gmm.reg_covar = r.get_double("model.reg_covar", m.gmm.reg_covar, 0.0, 1e300);
        m.gmm.n_init = static_cast<int>(r.get_int("model.n_init", m.gmm.n_init, 1, 1000));
    } else if (m.family == "kde") {
        if (const toml::node* n = r.node("model.bandwidth")) {
            if (auto rule = n->value<std::string>()) {
                if (*rule == "scott")
                    m.kde.rule = KdeOptions::Rule::kScott;
                else if (*rule == "silverman")
                    m.kde.rule = KdeOptions::Rule::kSilverman;
                else
                    r.fail(
                        "model.bandwidth",
                        fmt::format(
                            "= \"{}\" is not valid; use \"scott\", \"silverman\" or a number > 0",
                            *rule));
            } else {
                const double h = r.to_double("model.bandwidth", *n);
                if (h <= 0) r.fail("model.bandwidth", fmt::format("= {} must be > 0", h));
                m.kde.rule = KdeOptions::Rule::kFixed;
                m.kde.bandwidth = h;
            }
        }
    }
    return m;
}

void read_schedule(KeyReader& r, ChainConfig& c) {
    c.preset = r.get_string("schedule.preset", c.preset, schedule_preset_names());
    c.n = static_cast<std::size_t>(r.get_int("schedule.n", 1000, 1));
    ScheduleOptions s = schedule_preset(c.preset, c.n);
    auto size = [&](const std::string& key, std::size_t fallback) {
        return static_cast<std::size_t>(r.get_int(key, static_cast<std::int64_t>(fallback), 0));
    };
    s.n_real_initial = size("schedule.n_real_initial", s.n_real_initial);
    if (s.n_real_initial == 0)
        r.fail("schedule.n_real_initial", "must be >= 1: generation 0 trains on real data");
    s.n_synthetic = size("schedule.n_synthetic", s.n_synthetic);
    s.n_real_fixed = size("schedule.n_real_fixed", s.n_real_fixed);
    s.n_real_fresh = size("schedule.n_real_fresh", s.n_real_fresh);
    s.accumulate = r.get_bool("schedule.accumulate", s.accumulate);
    s.subsample = size("schedule.subsample", s.subsample);
    s.synthetic_from_last_k = static_cast<int>(
        r.get_int("schedule.synthetic_from_last_k", s.synthetic_from_last_k, 1, 1000));
    try {
        validate(s);
    } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}: {}", r.where("schedule.preset"), e.what()));
    }
    c.schedule = s;
}

MetricsConfig read_metrics(KeyReader& r) {
    MetricsConfig m;
    m.names = r.get_strings("metrics.list", m.names, kMetricNames);
    m.n_eval = static_cast<std::size_t>(r.get_int("metrics.n_eval", 1000, 2));
    m.n_test = static_cast<std::size_t>(
        r.get_int("metrics.n_test", static_cast<std::int64_t>(m.n_eval), 2));
    m.k = static_cast<int>(r.get_int("metrics.k", m.k, 1, 1000));
    const bool prdc = std::find(m.names.begin(), m.names.end(), "prdc") != m.names.end();
    if (prdc &&
        (m.n_eval <= static_cast<std::size_t>(m.k) || m.n_test <= static_cast<std::size_t>(m.k)))
        r.fail("metrics.k", fmt::format("= {} needs more than k points per set; metrics.n_eval = "
                                        "{} and metrics.n_test = {}",
                                        m.k, m.n_eval, m.n_test));
    return m;
}

ChainConfig read_chain(const FlatConfig& flat, const std::vector<std::string>& extra_allowed,
                       const FlatConfig* own = nullptr) {
    KeyReader r(flat, own);
    for (const auto& key : extra_allowed) r.node(key);
    ChainConfig c;
    c.source = read_source(r);
    c.model = read_model(r);
    read_schedule(r, c);
    c.metrics = read_metrics(r);
    std::vector<std::string> valid = kChainKeys;
    valid.insert(valid.end(), extra_allowed.begin(), extra_allowed.end());
    r.reject_unused(valid);
    return c;
}

toml::table parse_toml(const std::string& text, const std::string& file) {
    try {
        return toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        throw ConfigError(fmt::format("{} line {} column {}: {}", file, e.source().begin.line,
                                      e.source().begin.column, e.description()));
    }
}

}  // namespace

const std::vector<std::string>& valid_keys() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> all = kStudyKeys;
        all.insert(all.end(), kChainKeys.begin(), kChainKeys.end());
        all.push_back("settings");
        return all;
    }();
    return keys;
}

StudyConfig parse_study(const std::string& toml_text, const std::string& file) {
    const toml::table root = parse_toml(toml_text, file);
    StudyConfig study;
    study.file = file;
    FlatConfig flat = FlatConfig::from_table(root, file, {"settings"});

    // [study]: read from the base only; settings may not change it.
    KeyReader r(flat);
    study.name = r.get_string("study.name", study.name);
    study.description = r.get_string("study.description", "");
    study.seeds = static_cast<int>(r.get_int("study.seeds", study.seeds, 1, 1000000));
    study.first_seed = static_cast<std::uint64_t>(r.get_int("study.seed", 0, 0));
    study.generations =
        static_cast<int>(r.get_int("study.generations", study.generations, 0, 1000000));
    study.threads = static_cast<int>(r.get_int("study.threads", 0, 0, 4096));

    study.base_flat = flat;
    study.base = read_chain(flat, kStudyKeys);

    const toml::node* settings_node = root.get("settings");
    if (settings_node == nullptr) {
        study.settings.push_back(Setting{study.base.preset, study.base, FlatConfig{}});
        return study;
    }
    const toml::array* settings = settings_node->as_array();
    if (settings == nullptr || !settings->is_array_of_tables())
        throw ConfigError(
            fmt::format("{} line {}: 'settings' must be an array of tables: write "
                        "each setting as [[settings]] with a name and overrides",
                        file, settings_node->source().begin.line));
    std::set<std::string> names;
    for (const auto& item : *settings) {
        const toml::table& table = *item.as_table();
        const int line = static_cast<int>(table.source().begin.line);
        auto name = table["name"].value<std::string>();
        if (!name || name->empty())
            throw ConfigError(
                fmt::format("{} line {}: every [[settings]] needs a name = \"...\"", file, line));
        if (!names.insert(*name).second)
            throw ConfigError(
                fmt::format("{} line {}: setting name \"{}\" is used twice; names must be unique",
                            file, line, *name));
        FlatConfig overrides = FlatConfig::from_table(table, file, {"name"});
        for (const auto& [key, entry] : overrides.entries()) {
            if (key.rfind("study.", 0) == 0)
                throw ConfigError(
                    fmt::format("{}: {} cannot be set per setting (setting \"{}\"); move it to the "
                                "[study] section",
                                entry.where(), key, *name));
        }
        FlatConfig merged = flat;
        merged.override_with(overrides);
        Setting s;
        s.name = *name;
        try {
            s.config = read_chain(merged, kStudyKeys, &overrides);
        } catch (const ConfigError& e) {
            throw ConfigError(fmt::format("{} (in setting \"{}\")", e.what(), *name));
        }
        s.overrides = std::move(overrides);
        study.settings.push_back(std::move(s));
    }
    if (study.settings.empty())
        throw ConfigError(
            fmt::format("{}: 'settings' is empty; remove it or add [[settings]] tables", file));
    return study;
}

StudyConfig load_study(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(fmt::format("cannot read study file '{}': check the path", path));
    std::stringstream text;
    text << in.rdbuf();
    return parse_study(text.str(), path);
}

}  // namespace madlab
