#include "madlab/study/study_config.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "madlab/core/error.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/metrics/metric_registry.h"
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
                                             "study.sample_lines",
                                             "study.parameters"};
const std::vector<std::string> kChainKeys = {"source.kind",
                                             "source.path",
                                             "source.test_fraction",
                                             "source.split_seed",
                                             "source.dim",
                                             "source.mean",
                                             "source.covariance",
                                             "source.noise",
                                             "source.weights",
                                             "source.probabilities",
                                             "source.categories",
                                             "source.zipf_exponent",
                                             "model.family",
                                             "model.bias",
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
                                             "metrics.collapse_ratio",
                                             "source.labels_path",
                                             "source.labels",
                                             "model.pca_components",
                                             "metrics.features",
                                             "metrics.pca_components"};

const std::vector<std::string> kSourceKinds = {
    "gaussian", "grid25", "ring8",  "two-gaussians",     "rosenbrock",  "csv",  "npy",
    "text",     "idx",    "digits", "linear-regression", "categorical", "zipf", "words"};

// The default of source.categories for a words source: the 1000 most frequent words.
constexpr std::int64_t kDefaultWordCategories = 1000;
// The default of source.categories and source.zipf_exponent for a zipf source.
constexpr std::int64_t kDefaultZipfCategories = 1000;
constexpr double kDefaultZipfExponent = 1.0;

// The names of the entries of a registry (families, metrics), sorted.
template <class Entry>
std::vector<std::string> names_of(const std::vector<const Entry*>& entries) {
    std::vector<std::string> names;
    for (const Entry* e : entries) names.push_back(e->name);
    return names;
}

// Every key the entries declare, as "<section>.<key>", each once, in entry then key order.
template <class Entry>
std::vector<std::string> declared_keys(const std::string& section,
                                       const std::vector<const Entry*>& entries) {
    std::vector<std::string> keys;
    for (const Entry* e : entries)
        for (const ConfigKey& key : e->keys)
            if (std::find(keys.begin(), keys.end(), section + "." + key.name) == keys.end())
                keys.push_back(section + "." + key.name);
    return keys;
}

std::vector<std::string> metric_names() { return names_of(registered_metrics()); }
std::vector<std::string> metric_keys() { return declared_keys("metrics", registered_metrics()); }
std::vector<std::string> family_names() { return names_of(model_families()); }
std::vector<std::string> family_keys() { return declared_keys("model", model_families()); }

// The names of the families that model text.
std::vector<std::string> text_family_names() {
    std::vector<std::string> names;
    for (const ModelFamily* f : model_families())
        if (f->models_text()) names.push_back(f->name);
    return names;
}

// The families that have `key` (a model.<name> key), as "a, b".
std::string families_with(const std::string& key) {
    std::vector<std::string> names;
    for (const ModelFamily* f : model_families())
        for (const ConfigKey& k : f->keys)
            if ("model." + k.name == key) names.push_back(f->name);
    return join(names);
}

// One declared key of `section` ("model", "metrics"), read and checked against its type and
// range, as a value.
ParamValue read_config_key(KeyReader& r, const std::string& section, const ConfigKey& spec) {
    const std::string key = section + "." + spec.name;
    const auto int_max = [&] {
        return spec.max >= 9.2e18 ? std::numeric_limits<std::int64_t>::max()
                                  : static_cast<std::int64_t>(spec.max);
    };
    switch (spec.type) {
        case ConfigKey::Type::kBool:
            return r.get_bool(key, std::get<bool>(spec.default_value));
        case ConfigKey::Type::kInt:
            return r.get_int(key, std::get<std::int64_t>(spec.default_value),
                             static_cast<std::int64_t>(spec.min), int_max());
        case ConfigKey::Type::kDouble:
            return r.get_double(key, std::get<double>(spec.default_value), spec.min, spec.max,
                                spec.min_open);
        case ConfigKey::Type::kString:
            return r.get_string(key, std::get<std::string>(spec.default_value), spec.choices);
        case ConfigKey::Type::kNumberOrChoice: {
            const toml::node* n = r.node(key);
            if (n == nullptr) return spec.default_value;
            if (auto text = n->value<std::string>()) {
                if (std::find(spec.choices.begin(), spec.choices.end(), *text) ==
                    spec.choices.end())
                    r.fail(key, fmt::format("= \"{}\" is not valid; use {}", *text,
                                            spec.describe_range()));
                return *text;
            }
            const double v = r.to_double(key, *n);
            if ((spec.min_open ? v <= spec.min : v < spec.min) || v > spec.max)
                r.fail(key, fmt::format("= {} is out of range; use {}", v, spec.describe_range()));
            return v;
        }
    }
    return spec.default_value;
}

// A covariance written out in the file is checked as the source will use it (symmetric,
// finite, positive semi-definite), so that the error names the file and line. The check builds
// the d x d matrix the user wrote; a source.dim alone builds nothing here.
void check_covariance(const KeyReader& r, const SourceConfig& s) {
    const auto d = static_cast<Eigen::Index>(s.dim);
    Vector mean = Eigen::Map<const Vector>(s.mean.data(), d);
    SquareMatrix covariance(d, d);
    for (Eigen::Index i = 0; i < d; ++i)
        for (Eigen::Index j = 0; j < d; ++j)
            covariance(i, j) =
                s.covariance[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    try {
        GaussianSource check(std::move(mean), std::move(covariance));
    } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}: {}", r.where("source.covariance"), e.what()));
    }
}

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
    if (s.kind == "categorical") {
        if (!r.has("source.probabilities"))
            r.fail("source.probabilities",
                   "is required when source.kind = \"categorical\": the probability (or weight) "
                   "of each category 0..K-1, e.g. [0.5, 0.3, 0.2]");
        s.probabilities = r.get_vector("source.probabilities");
        if (s.probabilities.empty())
            r.fail("source.probabilities", "is empty; give at least one category's probability");
        double total = 0.0;
        for (std::size_t i = 0; i < s.probabilities.size(); ++i) {
            if (s.probabilities[i] < 0.0)
                r.fail("source.probabilities",
                       fmt::format("entry {} (counting from 0) is {}; probabilities (or weights) "
                                   "must be >= 0",
                                   i, s.probabilities[i]));
            total += s.probabilities[i];
        }
        if (!(total > 0.0) || !std::isfinite(total))
            r.fail("source.probabilities",
                   fmt::format("sum to {}; give a finite positive sum (they are normalised to 1)",
                               total));
    }
    if (s.kind == "zipf") {
        s.categories = static_cast<std::size_t>(
            r.get_int("source.categories", kDefaultZipfCategories, 1, 100000000));
        s.zipf_exponent = r.get_double("source.zipf_exponent", kDefaultZipfExponent, 0.0, 1000.0);
    }
    if (s.kind == "words") {
        s.path = r.get_string("source.path", "");
        if (s.path.empty())
            r.fail("source.path",
                   "is required when source.kind = \"words\" (a text file, a folder of .txt "
                   "files or a .jsonl file whose word frequencies are the probabilities)");
        s.categories = static_cast<std::size_t>(
            r.get_int("source.categories", kDefaultWordCategories, 1, 100000000));
        s.tokens = r.get_string("source.tokens", s.tokens, {"word", "char"});
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
                s.isotropic_variance = v;
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
                check_covariance(r, s);
            } else {
                r.fail("source.covariance",
                       "must be a number (isotropic variance) or a matrix [[...], ...]");
            }
        }
    }
    if (s.kind == "linear-regression") {
        s.weights = r.get_vector("source.weights");
        s.dim = static_cast<int>(r.get_int(
            "source.dim", s.weights.empty() ? 10 : static_cast<std::int64_t>(s.weights.size()), 1,
            100000));
        if (!s.weights.empty() && static_cast<int>(s.weights.size()) != s.dim)
            r.fail("source.weights", fmt::format("has {} entries but source.dim = {}; give one "
                                                 "true weight per feature",
                                                 s.weights.size(), s.dim));
        if (const toml::node* n = r.node("source.noise")) {
            s.noise = r.to_double("source.noise", *n);
            if (s.noise < 0)
                r.fail("source.noise",
                       fmt::format("= {} is negative; the label noise sigma must be >= 0 (0: "
                                   "exact labels)",
                                   s.noise));
        }
    }
    return s;
}

ModelConfig read_model(KeyReader& r, bool text) {
    ModelConfig m;
    // The python family registers itself when the Python package loads (docs/python.md).
    if (r.get_string("model.family", m.family) == "python" && !find_model_family("python"))
        r.fail("model.family",
               "= \"python\" is a model written in Python: it runs only from the Python package, "
               "madlab.run(config, models=...) (docs/python.md)");
    m.family = r.get_string("model.family", m.family, family_names());
    m.bias = r.get_double("model.bias", m.bias, 0.0, 1.0, true);
    const ModelFamily& family = *find_model_family(m.family);
    const auto applies = family.keys_for(text);
    // Another family's key, or a key of this family for the other kind of data.
    for (const std::string& key : family_keys()) {
        if (!r.has_own(key)) continue;
        const bool own = std::any_of(family.keys.begin(), family.keys.end(),
                                     [&](const ConfigKey& k) { return "model." + k.name == key; });
        if (!own)
            r.fail(key,
                   fmt::format("does not apply to model.family = \"{}\" (it is a setting of {})",
                               m.family, families_with(key)));
        if (std::none_of(applies.begin(), applies.end(),
                         [&](const ConfigKey* k) { return "model." + k->name == key; }))
            r.fail(key, text ? "applies to studies of vectors and images"
                             : "applies to text studies (source.kind = \"text\")");
    }
    for (const ConfigKey* key : applies) m.params.set(key->name, read_config_key(r, "model", *key));
    if (family.check) {
        try {
            family.check(m.params, text);
        } catch (const ConfigError& e) {
            // The message starts with the key at fault; the error names where it was set.
            const std::string what = e.what();
            std::string key = "model.family";
            for (const ConfigKey* k : applies)
                if (what.rfind("model." + k->name, 0) == 0) key = "model." + k->name;
            throw ConfigError(fmt::format("{}: {}", r.where(key), e.what()));
        }
    }
    return m;
}

// The categorical family on the study's source: model.categories = 0 becomes the source's K
// (every categorical source knows it from its config), a smaller K is an error, and sources of
// continuous data are refused (CSV and NPY files may hold integer categories).
void resolve_categories(KeyReader& r, ChainConfig& c) {
    const std::string& kind = c.source.kind;
    if (kind != "csv" && kind != "npy" && c.source.category_count() == 0)
        r.fail("model.family",
               fmt::format("= \"categorical\" models category indices, but source.kind = \"{}\" "
                           "is not categorical data; use source.kind = \"categorical\", \"zipf\" "
                           "or \"words\", or a CSV/NPY file of integer categories",
                           kind));
    const std::size_t source_k = c.source.category_count();
    if (source_k == 0) return;
    const auto model_k = static_cast<std::size_t>(c.model.params.get_int("categories"));
    if (model_k == 0)
        c.model.params.set("categories", static_cast<std::int64_t>(source_k));
    else if (model_k < source_k)
        r.fail("model.categories",
               fmt::format("= {} is below the source's {} categories; use 0 (the source's K) or "
                           "at least {}",
                           model_k, source_k, source_k));
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
    m.names = r.get_strings("metrics.list", m.names, metric_names());
    m.n_eval = static_cast<std::size_t>(r.get_int("metrics.n_eval", 1000, 2));
    m.n_test = static_cast<std::size_t>(
        r.get_int("metrics.n_test", static_cast<std::int64_t>(m.n_eval), 2));
    for (const MetricEntry* metric : registered_metrics())
        for (const ConfigKey& key : metric->keys)
            m.params.set(key.name, read_config_key(r, "metrics", key));
    m.collapse_ratio = r.get_double("metrics.collapse_ratio", m.collapse_ratio, 0.0, 1.0, true);
    m.token_budget = static_cast<std::size_t>(r.get_int("metrics.token_budget", 10000, 1));
    if (m.collapse_ratio >= 1.0) r.fail("metrics.collapse_ratio", "must be below 1");
    for (const std::string& name : m.names) {
        const MetricEntry* metric = find_metric(name);
        if (!metric->check) continue;
        try {
            metric->check(m.params, m.n_eval, m.n_test);
        } catch (const ConfigError& e) {
            // The message starts with the key at fault; the error names where it was set.
            const std::string what = e.what();
            std::string key = "metrics.list";
            for (const ConfigKey& k : metric->keys)
                if (what.rfind("metrics." + k.name, 0) == 0) key = "metrics." + k.name;
            throw ConfigError(fmt::format("{}: {}", r.where(key), e.what()));
        }
    }
    return m;
}

// A mixture needs at least one training point per component: model.components above the
// smallest training set (generation 0's real points, or the new points of a later generation)
// cannot be fitted (k-means++ has no distinct start for each component).
void check_components(const KeyReader& r, const ChainConfig& c) {
    if (!c.model.params.has("components")) return;
    const auto components = static_cast<std::size_t>(c.model.params.get_int("components"));
    const ScheduleOptions& s = c.schedule;
    std::size_t smallest = s.n_real_initial;
    std::string what = "generation 0 trains on";
    const std::size_t later = s.n_real_fixed + s.n_real_fresh + s.n_synthetic;
    if (later < smallest) {
        smallest = later;
        what = "a later generation draws";
    }
    if (components > smallest)
        r.fail("model.components",
               fmt::format("= {} but {} {} points; a mixture needs at least one point per "
                           "component: lower model.components to at most {} or raise schedule.n",
                           components, what, smallest, smallest));
}

ChainConfig read_chain(const FlatConfig& flat, const std::vector<std::string>& extra_allowed,
                       const FlatConfig* own = nullptr) {
    KeyReader r(flat, own);
    for (const auto& key : extra_allowed) r.node(key);
    ChainConfig c;
    c.source = read_source(r);
    c.model = read_model(r, c.source.kind == "text");
    if (c.model.family == "categorical") resolve_categories(r, c);
    read_schedule(r, c);
    c.metrics = read_metrics(r);
    if (c.source.kind == "idx" || c.source.kind == "digits") {
        // Images: PCA features for the model (unless the family models pixels) and the metrics
        // by default (docs/images.md).
        const ModelFamily* images_family = find_model_family(c.model.family);
        c.model.pca_components = static_cast<std::size_t>(
            r.get_int("model.pca_components",
                      images_family ? images_family->image_pca_components : 20, 0, 100000));
        c.metrics.features = r.get_string("metrics.features", "pca", {"pca", "pixels", "lenet"});
        if (c.metrics.features == "pca")
            c.metrics.feature_components =
                static_cast<std::size_t>(r.get_int("metrics.pca_components", 32, 1, 100000));
    }
    check_components(r, c);
    const bool text = c.source.kind == "text";
    const ModelFamily& family = *find_model_family(c.model.family);
    if (text && !family.models_text())
        r.fail("model.family", fmt::format("= \"{}\" cannot model text; use one of: {}",
                                           c.model.family, join(text_family_names())));
    if (!text && !family.models_vectors())
        r.fail("source.kind", fmt::format("= \"{}\" is continuous data; the {} family needs "
                                          "source.kind = \"text\"",
                                          c.source.kind, c.model.family));
    if (text && r.has_own("metrics.list"))
        r.fail("metrics.list",
               "applies to continuous data; text studies always report perplexity, vocabulary "
               "retention and sample diversity (docs/config.md)");
    std::vector<std::string> valid = kChainKeys;
    const std::vector<std::string> model_keys = family_keys();
    valid.insert(valid.end(), model_keys.begin(), model_keys.end());
    const std::vector<std::string> metrics_keys = metric_keys();
    valid.insert(valid.end(), metrics_keys.begin(), metrics_keys.end());
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

std::size_t SourceConfig::category_count() const {
    if (kind == "categorical") return probabilities.size();
    if (kind == "zipf" || kind == "words") return categories;
    return 0;
}

const std::vector<std::string>& valid_keys() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> all = kStudyKeys;
        all.insert(all.end(), kChainKeys.begin(), kChainKeys.end());
        const std::vector<std::string> model_keys = family_keys();
        all.insert(all.end(), model_keys.begin(), model_keys.end());
        const std::vector<std::string> metrics_keys = metric_keys();
        all.insert(all.end(), metrics_keys.begin(), metrics_keys.end());
        all.push_back("settings");
        all.push_back("sweep");
        return all;
    }();
    return keys;
}

namespace {

// parse_study in stages. Each stage reads one part of the file and reports what is wrong with
// it as a ConfigError naming the file, line and key.

// Stage 1: [study], read from the base only (settings may not change it).
void read_study_section(KeyReader& r, StudyConfig& study) {
    study.name = r.get_string("study.name", study.name);
    // It names the results folder (store/run_folder.h: RunFolder::default_dir), made a safe
    // folder name there; an empty one would name madlab-results/ itself.
    if (study.name.empty())
        r.fail("study.name",
               "is empty; give the study a name, e.g. study.name = \"my-study\" (it names the "
               "results folder madlab-results/<name>)");
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
}

using SweepAxes = std::vector<std::pair<std::string, FlatEntry>>;

// Stage 2: the base keys split by who reads them: [sweep] axes (returned), [threshold] and
// [decompose] for their commands (study.analysis), and the chain keys (study.base_flat).
SweepAxes split_sections(const FlatConfig& flat, StudyConfig& study) {
    SweepAxes sweep_axes;
    for (const auto& [key, entry] : flat.entries()) {
        if (key.rfind("sweep.", 0) == 0) {
            sweep_axes.emplace_back(key.substr(6), entry);
        } else if (key.rfind("threshold.", 0) == 0 || key.rfind("decompose.", 0) == 0) {
            study.analysis.set(key, entry);
        } else {
            study.base_flat.set(key, entry);
        }
    }
    return sweep_axes;
}

// Stage 3: the [[settings]] tables as named settings with their overrides (not yet resolved),
// or the base alone when the file has none.
std::vector<Setting> read_named_settings(const toml::node* settings_node, const std::string& file,
                                         const ChainConfig& base) {
    if (settings_node == nullptr) return {Setting{base.preset, "", base, FlatConfig{}}};
    const toml::array* settings = settings_node->as_array();
    if (settings == nullptr || !settings->is_array_of_tables())
        throw ConfigError(
            fmt::format("{} line {}: 'settings' must be an array of tables: write each setting as "
                        "[[settings]] with a name and overrides",
                        file, settings_node->source().begin.line));
    std::vector<Setting> named;
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
        FlatConfig overrides = FlatConfig::from_table(table, file, {"name", "label"});
        const std::string label = table["label"].value<std::string>().value_or("");
        for (const auto& [key, entry] : overrides.entries()) {
            if (key.rfind("study.", 0) == 0 || key.rfind("sweep.", 0) == 0 ||
                key.rfind("threshold.", 0) == 0 || key.rfind("decompose.", 0) == 0)
                throw ConfigError(
                    fmt::format("{}: {} cannot be set per setting (setting \"{}\"); move it to "
                                "the base sections",
                                entry.where(), key, *name));
        }
        named.push_back(Setting{*name, label, ChainConfig{}, std::move(overrides)});
    }
    if (named.empty())
        throw ConfigError(
            fmt::format("{}: 'settings' is empty; remove it or add [[settings]] tables", file));
    return named;
}

// Stage 4: the sweep's values per axis, axes sorted in the order they were written (returned
// through `axes`).
std::vector<std::vector<FlatEntry>> read_sweep_values(SweepAxes& axes) {
    std::sort(axes.begin(), axes.end(),
              [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
    std::vector<std::vector<FlatEntry>> axis_values;
    for (const auto& [key, entry] : axes) {
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
    return axis_values;
}

// Stage 4b: the parameter columns (StudyConfig::parameters): study.parameters, checked to be
// keys of the chain sections and given once, or the sweep's keys in their order.
std::vector<std::string> read_parameters(KeyReader& r, const SweepAxes& axes) {
    std::vector<std::string> out;
    if (!r.has("study.parameters")) {
        for (const auto& [key, entry] : axes) out.push_back(key);
        return out;
    }
    const std::vector<std::string>& valid = valid_keys();
    const toml::array* keys = r.node("study.parameters")->as_array();
    if (keys == nullptr)
        r.fail("study.parameters", "must be an array of keys, e.g. [\"model.bias\"]");
    for (const auto& item : *keys) {
        std::optional<std::string> text = item.value_exact<std::string>();
        if (!text) r.fail("study.parameters", "must be an array of strings (config keys)");
        std::string key = std::move(*text);
        const bool chain_key = key.rfind("study.", 0) != 0 &&
                               std::find(valid.begin(), valid.end(), key) != valid.end() &&
                               key != "settings" && key != "sweep";
        if (!chain_key) {
            const auto near = closest_key(key, valid);
            r.fail("study.parameters",
                   fmt::format("contains \"{}\", not a key of [source], [model], [schedule] or "
                               "[metrics]{}",
                               key, near ? fmt::format("; did you mean \"{}\"?", *near) : ""));
        }
        if (std::find(out.begin(), out.end(), key) != out.end())
            r.fail("study.parameters", fmt::format("contains \"{}\" twice", key));
        out.push_back(std::move(key));
    }
    return out;
}

// Stage 5a: the keys one setting reads: the base's, with the setting's overrides on top. A
// setting that changes the source kind or the model family starts from that kind's or family's
// defaults: the base's keys of the old one are dropped (model.bias is kept: it applies to every
// family).
FlatConfig merged_keys(const FlatConfig& base, const FlatConfig& overrides) {
    FlatConfig merged = base;
    const auto changes = [&](const std::string& key) {
        const FlatEntry* own = overrides.find(key);
        const FlatEntry* inherited = base.find(key);
        const auto text = [](const FlatEntry* e) {
            return e ? e->value->value<std::string>().value_or("") : std::string();
        };
        return own != nullptr && text(own) != text(inherited);
    };
    if (changes("source.kind")) merged.erase_prefix("source.", overrides);
    if (changes("model.family")) {
        FlatConfig keep = overrides;
        if (const FlatEntry* bias = base.find("model.bias"); bias && !overrides.find("model.bias"))
            keep.set("model.bias", *bias);
        merged.erase_prefix("model.", keep);
    }
    merged.override_with(overrides);
    return merged;
}

// Stage 5b: cell `cell` of the sweep grid applied to a named setting: its overrides, name and
// label (the last axis varies fastest), resolved into its ChainConfig.
Setting sweep_cell(const Setting& named, std::size_t cell, const SweepAxes& axes,
                   const std::vector<std::vector<FlatEntry>>& axis_values, bool sweep_only,
                   bool from_settings, const FlatConfig& base) {
    FlatConfig overrides = named.overrides;
    std::string label, short_label;
    std::size_t rest = cell;
    std::vector<std::size_t> index(axis_values.size());
    for (std::size_t a = axis_values.size(); a-- > 0;) {
        index[a] = rest % axis_values[a].size();
        rest /= axis_values[a].size();
    }
    for (std::size_t a = 0; a < axis_values.size(); ++a) {
        const std::string& key = axes[a].first;
        const FlatEntry& value = axis_values[a][index[a]];
        overrides.set(key, value);
        const std::string text = value_text(*value.value);
        label += fmt::format("{}{}={}", label.empty() ? "" : ", ", key, text);
        short_label += fmt::format("{}{}={}", short_label.empty() ? "" : " ",
                                   key.substr(key.rfind('.') + 1), text);
    }
    Setting s;
    s.name = axis_values.empty() ? named.name
             : sweep_only        ? short_label
                                 : named.name + " " + short_label;
    s.label = label.empty()    ? (named.label.empty() ? named.name : named.label)
              : !from_settings ? label
                               : named.name + ": " + label;
    try {
        s.config = read_chain(merged_keys(base, overrides), kStudyKeys, &overrides);
    } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{} (in setting \"{}\")", e.what(), s.name));
    }
    s.overrides = std::move(overrides);
    return s;
}

}  // namespace

StudyConfig parse_study(const std::string& toml_text, const std::string& file,
                        const std::vector<std::string>& set) {
    const toml::table root = parse_toml(toml_text, file);
    StudyConfig study;
    study.file = file;
    FlatConfig flat = FlatConfig::from_table(root, file, {"settings"});
    apply_set_options(flat, set);
    KeyReader r(flat);
    read_study_section(r, study);
    SweepAxes sweep_axes = split_sections(flat, study);
    study.base = read_chain(study.base_flat, kStudyKeys);

    const toml::node* settings_node = root.get("settings");
    const std::vector<Setting> named = read_named_settings(settings_node, file, study.base);
    const auto axis_values = read_sweep_values(sweep_axes);
    study.parameters = read_parameters(r, sweep_axes);
    std::size_t grid = 1;
    for (const auto& values : axis_values) grid *= values.size();
    if (grid * named.size() > 100000)
        throw ConfigError(fmt::format("{}: the sweep makes {} settings; at most 100000", file,
                                      grid * named.size()));

    const bool sweep_only = named.size() == 1 && settings_node == nullptr;
    std::set<std::string> final_names;
    for (const Setting& setting : named) {
        for (std::size_t cell = 0; cell < grid; ++cell) {
            Setting s = sweep_cell(setting, cell, sweep_axes, axis_values, sweep_only,
                                   settings_node != nullptr, study.base_flat);
            if (!final_names.insert(s.name).second)
                throw ConfigError(fmt::format(
                    "{}: two settings would both be named \"{}\"; make the sweep values or "
                    "setting names distinct",
                    file, s.name));
            study.settings.push_back(std::move(s));
        }
    }
    study.explicit_settings = settings_node != nullptr || !sweep_axes.empty();
    return study;
}

StudyConfig load_study(const std::string& path, const std::vector<std::string>& set) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(fmt::format("cannot read study file '{}': check the path", path));
    std::stringstream text;
    text << in.rdbuf();
    return parse_study(text.str(), path, set);
}

}  // namespace madlab
