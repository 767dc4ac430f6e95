#include "madlab/study/study_config.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "madlab/core/error.h"
#include "madlab/study/key_reader.h"

namespace madlab {

namespace {

const std::vector<std::string> kStudyKeys = {"study.name",
                                             "study.description",
                                             "study.seeds",
                                             "study.seed",
                                             "study.generations",
                                             "study.threads",
                                             "study.sample_generations",
                                             "study.sample_points",
                                             "study.sample_lines"};
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
                                             "metrics.collapse_ratio",
                                             "metrics.token_budget",
                                             "source.tokens",
                                             "source.held_out_every",
                                             "source.split_sentences",
                                             "source.jsonl_field",
                                             "model.order",
                                             "model.discount_fallback",
                                             "model.max_line_length",
                                             "model.top_k",
                                             "model.top_p",
                                             "metrics.collapse_ratio",
                                             "metrics.k",
                                             "source.labels_path",
                                             "source.labels",
                                             "model.pca_components",
                                             "model.fit",
                                             "model.sample",
                                             "model.timeout_s",
                                             "model.retries",
                                             "model.prune",
                                             "model.work_dir",
                                             "model.score",
                                             "metrics.features",
                                             "metrics.pca_components"};

const std::vector<std::string> kSourceKinds = {
    "gaussian", "grid25", "ring8", "two-gaussians", "csv", "npy", "text", "idx", "digits"};
const std::vector<std::string> kFamilies = {"gaussian", "gmm", "kde", "ngram", "external"};
const std::vector<std::string> kMetricNames = {"frechet", "prdc", "nll", "gaussian_drift", "kid"};

// Family-specific model keys: using one with another family is an error.
const std::vector<std::pair<std::string, std::vector<std::string>>> kFamilyKeys = {
    {"model.estimator", {"gaussian"}},
    {"model.reg_covar", {"gaussian", "gmm"}},
    {"model.components", {"gmm"}},
    {"model.max_iter", {"gmm"}},
    {"model.tol", {"gmm"}},
    {"model.n_init", {"gmm"}},
    {"model.bandwidth", {"kde"}},
    {"model.order", {"ngram"}},
    {"model.discount_fallback", {"ngram"}},
    {"model.max_line_length", {"ngram", "external"}},
    {"model.top_k", {"ngram"}},
    {"model.top_p", {"ngram"}},
    {"model.fit", {"external"}},
    {"model.sample", {"external"}},
    {"model.timeout_s", {"external"}},
    {"model.retries", {"external"}},
    {"model.prune", {"external"}},
    {"model.work_dir", {"external"}},
    {"model.score", {"external"}},
};

SourceConfig read_source(KeyReader& r) {
    SourceConfig s;
    s.kind = r.get_string("source.kind", s.kind, kSourceKinds);
    const bool image = s.kind == "idx" || s.kind == "digits";
    const bool file = s.kind == "csv" || s.kind == "npy" || image;
    if (file) {
        s.path = r.get_string("source.path", "");
        if (s.path.empty())
            r.fail("source.path", fmt::format("is required when source.kind = \"{}\"", s.kind));
        s.test_fraction = r.get_double("source.test_fraction", s.test_fraction, 0.0, 1.0, true);
        if (s.test_fraction >= 1.0)
            r.fail("source.test_fraction", "must be below 1: some rows must remain for training");
        s.split_seed = static_cast<std::uint64_t>(r.get_int("source.split_seed", 0, 0));
    }
    if (image) {
        if (s.kind == "idx") s.labels_path = r.get_string("source.labels_path", "");
        for (double label : r.get_vector("source.labels")) {
            if (label != std::floor(label) || label < 0 || label > 255)
                r.fail("source.labels",
                       fmt::format("contains {}; class labels are integers 0..255", label));
            s.labels.push_back(static_cast<int>(label));
        }
    }
    if (s.kind == "text") {
        s.path = r.get_string("source.path", "");
        if (s.path.empty())
            r.fail("source.path",
                   "is required when source.kind = \"text\" (a .txt file, a folder of .txt files "
                   "or a .jsonl file)");
        s.tokens = r.get_string("source.tokens", s.tokens, {"word", "char"});
        s.held_out_every = static_cast<std::size_t>(r.get_int("source.held_out_every", 20, 0));
        if (s.held_out_every == 1)
            r.fail("source.held_out_every", "= 1 would hold out every line; use 0 (none) or >= 2");
        s.test_fraction = r.has("source.test_fraction")
                              ? r.get_double("source.test_fraction", 0.0, 0.0, 1.0, true)
                              : 0.0;
        if (s.test_fraction >= 1.0)
            r.fail("source.test_fraction", "must be below 1: some lines must remain for training");
        s.split_seed = static_cast<std::uint64_t>(r.get_int("source.split_seed", 0, 0));
        s.split_sentences = r.get_bool("source.split_sentences", false);
        s.jsonl_field = r.get_string("source.jsonl_field", s.jsonl_field);
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

ModelConfig read_model(KeyReader& r, bool text) {
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
    } else if (m.family == "ngram") {
        m.ngram.order = static_cast<int>(r.get_int("model.order", m.ngram.order, 1, 6));
        m.ngram.fallback = r.get_bool("model.discount_fallback", false)
                               ? NgramOptions::DiscountFallback::kDefault
                               : NgramOptions::DiscountFallback::kError;
        m.max_line_length = static_cast<std::size_t>(r.get_int("model.max_line_length", 200, 1));
        m.ngram.top_k = static_cast<int>(r.get_int("model.top_k", 0, 0, 1000000000));
        m.ngram.top_p = r.get_double("model.top_p", 1.0, 0.0, 1.0, true);
    } else if (m.family == "external") {
        m.external.fit = r.get_string("model.fit", "");
        m.external.sample = r.get_string("model.sample", "");
        m.external.timeout_s = r.get_double("model.timeout_s", m.external.timeout_s, 0.0, 1e9);
        m.external.retries = static_cast<int>(r.get_int("model.retries", 0, 0, 100));
        m.external.prune = r.get_bool("model.prune", false);
        m.external.work_dir = r.get_string("model.work_dir", "");
        m.external.score = r.get_string("model.score", "");
        if (text) {
            m.max_line_length =
                static_cast<std::size_t>(r.get_int("model.max_line_length", 200, 1));
        } else if (r.has_own("model.max_line_length")) {
            r.fail("model.max_line_length", "applies to text studies (source.kind = \"text\")");
        }
        try {
            check_external_commands(m.external, text);
        } catch (const ConfigError& e) {
            const std::string what = e.what();
            const char* key = "model.fit";
            for (const char* k : {"model.sample", "model.score"})
                if (what.rfind(k, 0) == 0) key = k;
            throw ConfigError(fmt::format("{}: {}", r.where(key), e.what()));
        }
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
    m.collapse_ratio = r.get_double("metrics.collapse_ratio", m.collapse_ratio, 0.0, 1.0, true);
    m.token_budget = static_cast<std::size_t>(r.get_int("metrics.token_budget", 10000, 1));
    if (m.collapse_ratio >= 1.0) r.fail("metrics.collapse_ratio", "must be below 1");
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
    c.model = read_model(r, c.source.kind == "text");
    read_schedule(r, c);
    c.metrics = read_metrics(r);
    if (c.source.kind == "idx" || c.source.kind == "digits") {
        // Images: PCA features for the model and the metrics by default (docs/images.md).
        c.model.pca_components =
            static_cast<std::size_t>(r.get_int("model.pca_components", 20, 0, 100000));
        c.metrics.features = r.get_string("metrics.features", "pca", {"pca", "pixels"});
        if (c.metrics.features == "pca")
            c.metrics.feature_components =
                static_cast<std::size_t>(r.get_int("metrics.pca_components", 32, 1, 100000));
    }
    const bool text = c.source.kind == "text";
    if (text != (c.model.family == "ngram") && c.model.family != "external")
        r.fail(text ? "model.family" : "source.kind",
               text ? fmt::format("= \"{}\" cannot model text; use model.family = \"ngram\" "
                                  "or \"external\"",
                                  c.model.family)
                    : "= \"" + c.source.kind +
                          "\" is continuous data; the ngram family needs source.kind = \"text\"");
    if (text && r.has_own("metrics.list"))
        r.fail("metrics.list",
               "applies to continuous data; text studies always report perplexity, vocabulary "
               "retention and sample diversity (docs/config.md)");
    std::vector<std::string> valid = kChainKeys;
    valid.insert(valid.end(), extra_allowed.begin(), extra_allowed.end());
    r.reject_unused(valid);
    return c;
}

// A TOML value as short text for setting names: 0.5, "fresh-data" -> fresh-data, [1, 2].
std::string value_text(const toml::node& node) {
    if (auto text = node.value_exact<std::string>()) return *text;
    if (auto number = node.value_exact<double>()) {
        std::string out = fmt::format("{}", *number);  // shortest form that reads back exactly
        if (out.find_first_of(".en") == std::string::npos) out += ".0";
        return out;
    }
    std::ostringstream out;
    node.visit([&](const auto& n) { out << n; });
    return out.str();
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
        all.push_back("sweep");
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
    for (double g : r.get_vector("study.sample_generations")) {
        if (g != std::floor(g) || g < -1 || g > study.generations)
            r.fail("study.sample_generations",
                   fmt::format("contains {}; use generations 0..study.generations ({}) or -1 "
                               "for the last",
                               g, study.generations));
        study.sample_generations.push_back(static_cast<int>(g));
    }
    study.sample_points =
        static_cast<std::size_t>(r.get_int("study.sample_points", 500, 0, 100000));
    study.sample_lines = static_cast<std::size_t>(r.get_int("study.sample_lines", 20, 0, 100000));

    // Sections read elsewhere: [sweep] here below, [threshold] and [decompose] by their
    // commands (study.analysis).
    FlatConfig chain_flat;
    std::vector<std::pair<std::string, FlatEntry>> sweep_axes;
    for (const auto& [key, entry] : flat.entries()) {
        if (key.rfind("sweep.", 0) == 0) {
            sweep_axes.emplace_back(key.substr(6), entry);
        } else if (key.rfind("threshold.", 0) == 0 || key.rfind("decompose.", 0) == 0) {
            study.analysis.set(key, entry);
        } else {
            chain_flat.set(key, entry);
        }
    }
    study.base_flat = chain_flat;
    study.base = read_chain(chain_flat, kStudyKeys);

    // Named settings (or the base alone).
    std::vector<Setting> named;
    const toml::node* settings_node = root.get("settings");
    if (settings_node == nullptr) {
        named.push_back(Setting{study.base.preset, "", study.base, FlatConfig{}});
    } else {
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
                throw ConfigError(fmt::format(
                    "{} line {}: every [[settings]] needs a name = \"...\"", file, line));
            if (!names.insert(*name).second)
                throw ConfigError(fmt::format(
                    "{} line {}: setting name \"{}\" is used twice; names must be unique", file,
                    line, *name));
            FlatConfig overrides = FlatConfig::from_table(table, file, {"name", "label"});
            const std::string label = table["label"].value<std::string>().value_or("");
            for (const auto& [key, entry] : overrides.entries()) {
                if (key.rfind("study.", 0) == 0 || key.rfind("sweep.", 0) == 0 ||
                    key.rfind("threshold.", 0) == 0 || key.rfind("decompose.", 0) == 0)
                    throw ConfigError(
                        fmt::format("{}: {} cannot be set per setting (setting \"{}\"); move it "
                                    "to the base sections",
                                    entry.where(), key, *name));
            }
            named.push_back(Setting{*name, label, ChainConfig{}, std::move(overrides)});
        }
        if (named.empty())
            throw ConfigError(
                fmt::format("{}: 'settings' is empty; remove it or add [[settings]] tables", file));
    }

    // The sweep: a cartesian grid over config keys, axes in the order they were written.
    std::sort(sweep_axes.begin(), sweep_axes.end(), [](const auto& a, const auto& b) {
        return std::pair(a.second.line, a.second.column) <
               std::pair(b.second.line, b.second.column);
    });
    std::vector<std::vector<FlatEntry>> axis_values;
    for (const auto& [key, entry] : sweep_axes) {
        const toml::array* values = entry.value->as_array();
        if (values == nullptr || values->empty())
            throw ConfigError(fmt::format(
                "{}: sweep key \"{}\" must be a non-empty array of values, e.g. [0, 100, 500]",
                entry.where(), key));
        if (key.rfind("study.", 0) == 0)
            throw ConfigError(
                fmt::format("{}: {} cannot be swept; sweep source, model, schedule "
                            "or metrics keys",
                            entry.where(), key));
        std::vector<FlatEntry> leaves;
        for (const auto& v : *values) {
            FlatEntry leaf = entry;
            leaf.value = std::shared_ptr<toml::node>(v.visit(
                [](const auto& n) -> toml::node* { return new std::decay_t<decltype(n)>(n); }));
            leaves.push_back(std::move(leaf));
        }
        axis_values.push_back(std::move(leaves));
    }
    std::size_t grid = 1;
    for (const auto& values : axis_values) grid *= values.size();
    if (grid * named.size() > 100000)
        throw ConfigError(fmt::format("{}: the sweep makes {} settings; at most 100000", file,
                                      grid * named.size()));

    std::set<std::string> final_names;
    for (const Setting& base_setting : named) {
        for (std::size_t cell = 0; cell < grid; ++cell) {
            FlatConfig overrides = base_setting.overrides;
            std::string label, short_label;
            std::size_t rest = cell;
            // The last axis varies fastest.
            std::vector<std::size_t> index(axis_values.size());
            for (std::size_t a = axis_values.size(); a-- > 0;) {
                index[a] = rest % axis_values[a].size();
                rest /= axis_values[a].size();
            }
            for (std::size_t a = 0; a < axis_values.size(); ++a) {
                const std::string& key = sweep_axes[a].first;
                const FlatEntry& value = axis_values[a][index[a]];
                overrides.set(key, value);
                const std::string text = value_text(*value.value);
                label += fmt::format("{}{}={}", label.empty() ? "" : ", ", key, text);
                short_label += fmt::format("{}{}={}", short_label.empty() ? "" : " ",
                                           key.substr(key.rfind('.') + 1), text);
            }
            Setting s;
            s.name = axis_values.empty() ? base_setting.name
                     : named.size() == 1 && settings_node == nullptr
                         ? short_label
                         : base_setting.name + " " + short_label;
            s.label = label.empty()
                          ? (base_setting.label.empty() ? base_setting.name : base_setting.label)
                      : settings_node == nullptr ? label
                                                 : base_setting.name + ": " + label;
            if (!final_names.insert(s.name).second)
                throw ConfigError(fmt::format(
                    "{}: two settings would both be named \"{}\"; make the sweep values or "
                    "setting names distinct",
                    file, s.name));
            // A setting that changes the source kind or the model family starts from that kind's
            // or family's defaults: the base's keys of the old one are dropped (model.bias is
            // kept: it applies to every family).
            FlatConfig merged = chain_flat;
            const auto changes = [&](const std::string& key) {
                const FlatEntry* own = overrides.find(key);
                const FlatEntry* base = chain_flat.find(key);
                const auto text = [](const FlatEntry* e) {
                    return e ? e->value->value<std::string>().value_or("") : std::string();
                };
                return own != nullptr && text(own) != text(base);
            };
            if (changes("source.kind")) merged.erase_prefix("source.", overrides);
            if (changes("model.family")) {
                FlatConfig keep = overrides;
                if (const FlatEntry* bias = chain_flat.find("model.bias");
                    bias && !overrides.find("model.bias"))
                    keep.set("model.bias", *bias);
                merged.erase_prefix("model.", keep);
            }
            merged.override_with(overrides);
            try {
                s.config = read_chain(merged, kStudyKeys, &overrides);
            } catch (const ConfigError& e) {
                throw ConfigError(fmt::format("{} (in setting \"{}\")", e.what(), s.name));
            }
            s.overrides = std::move(overrides);
            study.settings.push_back(std::move(s));
        }
    }
    study.explicit_settings = settings_node != nullptr || !sweep_axes.empty();
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
