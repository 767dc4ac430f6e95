#include "madlab/study/decompose.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "madlab/core/error.h"
#include "madlab/study/analysis_output.h"
#include "madlab/study/key_reader.h"
#include "madlab/study/resolved_config.h"

namespace madlab {

namespace {

const std::vector<std::string> kDecomposeKeys = {"decompose.setting",    "decompose.metric",
                                                 "decompose.large_n",    "decompose.family",
                                                 "decompose.components", "decompose.n_init"};
const std::vector<std::string> kFamilies = {"gaussian", "gmm", "kde"};

std::string model_text(const ModelConfig& m) {
    if (m.family == "gmm") return fmt::format("gmm({})", m.params.get_int("components"));
    return m.family;
}

std::size_t scale(std::size_t size, double factor) {
    if (size == 0) return 0;
    return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(size * factor)));
}

std::string fmt_est_short(const Estimate& e) {
    if (!std::isfinite(e.mean)) return "-";
    return fmt::format("{:.4g} [{:.3g}, {:.3g}]", e.mean, e.ci95_low, e.ci95_high);
}

std::string fmt_share(double v) {
    return std::isfinite(v) ? fmt::format("{:.0f}%", 100.0 * v) : "-";
}

}  // namespace

ModelConfig default_well_specified(const SourceConfig& source, const ModelConfig& configured) {
    ModelConfig m = configured;
    int components = 0;
    if (source.kind == "gaussian") {
        m.family = "gaussian";
    } else if (source.kind == "grid25") {
        components = 25;
    } else if (source.kind == "ring8") {
        components = 8;
    } else if (source.kind == "two-gaussians") {
        components = 2;
    } else {
        m.family = "";
        return m;
    }
    if (components > 0) {
        if (configured.family != "gmm") m.params = find_model_family("gmm")->defaults(false);
        m.family = "gmm";
        m.params.set("components", std::int64_t{components});
    } else if (configured.family != "gaussian") {
        m.params = find_model_family("gaussian")->defaults(false);
    }
    return m;
}

DecomposeOptions read_decompose_options(const StudyConfig& study) {
    const FlatConfig flat = analysis_section(study, "decompose.");
    KeyReader r(flat);
    DecomposeOptions o;
    const AnalysisTarget target = read_analysis_target(r, study, "decompose", o.metric);
    const ChainConfig& config = target.setting->config;
    const AnalysisMetric& metric = *target.metric;
    o.setting = target.setting_name;
    o.metric = metric.name;
    o.lower_is_better = metric.lower_is_better;

    const auto default_large =
        static_cast<std::int64_t>(std::max<std::size_t>(20000, 10 * config.n));
    o.large_n = static_cast<std::size_t>(r.get_int("decompose.large_n", default_large, 2));
    if (o.large_n <= config.n)
        r.fail("decompose.large_n",
               fmt::format("= {} must exceed schedule.n = {}: the functional variant removes the "
                           "statistical error by training on many more points",
                           o.large_n, config.n));

    ModelConfig w = default_well_specified(config.source, config.model);
    if (r.has("decompose.family")) {
        const std::string family = r.get_string("decompose.family", "", kFamilies);
        if (family != w.family) {
            w = config.model;
            w.family = family;
            if (family != config.model.family)
                w.params = find_model_family(family)->defaults(false);
        }
    } else if (w.family.empty()) {
        throw ConfigError(fmt::format(
            "{}: decompose.family is required for source.kind = \"{}\": madlab cannot know which "
            "family fits a data file; set the well-specified family under [decompose], e.g. "
            "family = \"gmm\" and components = 3",
            study_where(study), config.source.kind));
    }
    if (r.has("decompose.components")) {
        if (w.family != "gmm")
            r.fail("decompose.components",
                   fmt::format("applies to the gmm family only; the well-specified family is "
                               "\"{}\"",
                               w.family));
        w.params.set("components", r.get_int("decompose.components", 1, 1, 100000));
    }
    if (r.has("decompose.n_init")) {
        if (w.family != "gmm")
            r.fail("decompose.n_init",
                   fmt::format("applies to the gmm family only; the well-specified family is "
                               "\"{}\"",
                               w.family));
        w.params.set("n_init", r.get_int("decompose.n_init", 1, 1, 1000));
    }
    o.well_specified = w;
    r.reject_unused(kDecomposeKeys);

    try {
        check_metric_applies(metric, config, "decompose.metric");
        ChainConfig wc = config;
        wc.model = w;
        check_metric_applies(metric, wc, "decompose.metric");
    } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}: {}", r.where("decompose.metric"), e.what()));
    }
    return o;
}

ChainConfig scaled_to(const ChainConfig& config, std::size_t large_n) {
    ChainConfig out = config;
    const double factor = static_cast<double>(large_n) / static_cast<double>(config.n);
    ScheduleOptions& s = out.schedule;
    s.n_real_initial = scale(s.n_real_initial, factor);
    s.n_synthetic = scale(s.n_synthetic, factor);
    s.n_real_fixed = std::min(scale(s.n_real_fixed, factor), s.n_real_initial);
    s.n_real_fresh = scale(s.n_real_fresh, factor);
    s.subsample = scale(s.subsample, factor);
    out.n = large_n;
    return out;
}

DecomposeResult run_decompose(const StudyConfig& study, const DecomposeOptions& options,
                              const RunOptions& run) {
    const auto start = std::chrono::steady_clock::now();
    const AnalysisTarget target =
        analysis_target(study, "decompose", options.setting, options.metric);
    const Setting& setting = *target.setting;
    const AnalysisMetric* metric = target.metric;
    if (options.well_specified.family.empty())
        throw ConfigError("decompose: no well-specified family (decompose.family)");
    if (options.large_n <= setting.config.n)
        throw ConfigError(fmt::format("decompose.large_n = {} must exceed schedule.n = {}",
                                      options.large_n, setting.config.n));

    ChainConfig total = setting.config;
    total.metrics.names = {metric->group};
    ChainConfig statistical = total;
    statistical.model = options.well_specified;
    const ChainConfig functional = scaled_to(total, options.large_n);
    const ChainConfig reference = scaled_to(statistical, options.large_n);
    check_metric_applies(*metric, total, "decompose.metric");
    check_metric_applies(*metric, statistical, "decompose.metric");

    auto make = [&](const std::string& name, const ChainConfig& c, const std::string& what) {
        Setting s;
        s.name = name;
        s.label = fmt::format("{}: {} at n = {}", what, model_text(c.model), c.n);
        s.config = c;
        return s;
    };
    StudyConfig variants = study;
    variants.settings = {make("total", total, "total"),
                         make("statistical", statistical, "statistical (well-specified)"),
                         make("functional", functional, "functional (large n)")};
    StudyConfig ref = study;
    ref.settings = {make("reference", reference, "reference")};
    ref.generations = 0;

    DecomposeResult result;
    result.options = options;
    result.setting = setting.name;
    result.generations = study.generations;
    result.seeds = study.seeds;
    result.n = setting.config.n;
    result.total_model = model_text(total.model);
    result.statistical_model = model_text(statistical.model);

    result.records = run_study(variants, run).records;
    const std::vector<Record> ref_records = run_study(ref, run).records;

    const auto base = values_by_seed_generation(ref_records, "reference", options.metric);
    const auto d_total = values_by_seed_generation(result.records, "total", options.metric);
    const auto d_stat = values_by_seed_generation(result.records, "statistical", options.metric);
    const auto d_func = values_by_seed_generation(result.records, "functional", options.metric);
    std::vector<double> reference_values;
    for (const auto& [key, v] : base) reference_values.push_back(v);
    result.reference = estimate(reference_values);
    if (reference_values.empty())
        throw NumericalError(
            fmt::format("decompose: the metric {} is undefined for the reference ({} at n = {})",
                        options.metric, model_text(reference.model), reference.n));

    const double sign = options.lower_is_better ? 1.0 : -1.0;
    for (int t = 0; t <= study.generations; ++t) {
        std::vector<double> vt, vs, vf, vi;
        for (const auto& [key, b] : base) {
            const std::uint64_t seed = key.first;
            auto a = d_total.find({seed, t});
            auto s = d_stat.find({seed, t});
            auto f = d_func.find({seed, t});
            if (a != d_total.end()) vt.push_back(sign * (a->second - b));
            if (s != d_stat.end()) vs.push_back(sign * (s->second - b));
            if (f != d_func.end()) vf.push_back(sign * (f->second - b));
            if (a != d_total.end() && s != d_stat.end() && f != d_func.end())
                vi.push_back(sign * (a->second - b) - sign * (s->second - b) -
                             sign * (f->second - b));
        }
        DecomposeRow row;
        row.generation = t;
        row.total = estimate(vt);
        row.statistical = estimate(vs);
        row.functional = estimate(vf);
        row.interaction = estimate(vi);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const bool defined = std::isfinite(row.total.mean) && row.total.mean > 0.0;
        row.share_statistical = defined ? row.statistical.mean / row.total.mean : nan;
        row.share_functional = defined ? row.functional.mean / row.total.mean : nan;
        row.share_interaction = defined ? row.interaction.mean / row.total.mean : nan;
        result.rows.push_back(row);
    }
    result.records.insert(result.records.end(), ref_records.begin(), ref_records.end());
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

std::string format_decompose(const DecomposeResult& r) {
    const DecomposeOptions& o = r.options;
    std::string out = fmt::format(
        "decompose: setting \"{}\", metric {} ({} is better), {} seeds, generations 0..{}\n",
        r.setting, o.metric, o.lower_is_better ? "lower" : "higher", r.seeds, r.generations);
    out += fmt::format(
        "variants (same seeds): total = {} at n = {}; statistical = {} (well-specified) at n = "
        "{}; functional = {} at n = {}\n",
        r.total_model, r.n, r.statistical_model, r.n, r.total_model, o.large_n);
    out += fmt::format(
        "degradation D = {} relative to the reference ({} at n = {}, generation 0: {} {}); "
        "> 0 is worse\n",
        o.lower_is_better ? "value - reference" : "reference - value", r.statistical_model,
        o.large_n, o.metric, fmt_est_short(r.reference));
    constexpr int kColumn = 34;
    out += fmt::format("\n  {:>4}  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {:>6}  {:>6}  {:>6}\n", "gen",
                       "total [95%]", kColumn, "statistical [95%]", kColumn, "functional [95%]",
                       kColumn, "interaction [95%]", kColumn, "stat", "func", "inter");
    for (const auto& row : r.rows)
        out += fmt::format("  {:>4}  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {:>6}  {:>6}  {:>6}\n",
                           row.generation, fmt_est_short(row.total), kColumn,
                           fmt_est_short(row.statistical), kColumn, fmt_est_short(row.functional),
                           kColumn, fmt_est_short(row.interaction), kColumn,
                           fmt_share(row.share_statistical), fmt_share(row.share_functional),
                           fmt_share(row.share_interaction));
    out += "shares are of the mean total; '-' where the total is not above the reference\n";
    return out;
}

nlohmann::json decompose_to_json(const DecomposeResult& r) {
    const DecomposeOptions& o = r.options;
    nlohmann::json j;
    j["setting"] = r.setting;
    j["metric"] = o.metric;
    j["lower_is_better"] = o.lower_is_better;
    j["generations"] = r.generations;
    j["seeds"] = r.seeds;
    j["n"] = r.n;
    j["large_n"] = o.large_n;
    j["total_model"] = r.total_model;
    j["well_specified_model"] = r.statistical_model;
    j["reference"] = to_json(r.reference);
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : r.rows)
        rows.push_back({{"generation", row.generation},
                        {"total", to_json(row.total)},
                        {"statistical", to_json(row.statistical)},
                        {"functional", to_json(row.functional)},
                        {"interaction", to_json(row.interaction)},
                        {"share_statistical", json_number(row.share_statistical)},
                        {"share_functional", json_number(row.share_functional)},
                        {"share_interaction", json_number(row.share_interaction)}});
    j["generations_table"] = rows;
    j["run_seconds"] = r.seconds;
    return j;
}

void write_decompose_outputs(const std::string& dir, const StudyConfig& study,
                             const DecomposeResult& result) {
    write_analysis_outputs(dir, study, "decompose", decompose_to_json(result), result.records);
}

std::string DecomposeAnalysis::name() const { return "decompose"; }

void DecomposeAnalysis::read_options(const StudyConfig& study) {
    options_ = read_decompose_options(study);
}

StudyOutput DecomposeAnalysis::run(const StudyConfig& study, const RunOptions& run) const {
    return analysis_output(run_decompose(study, options_, run), decompose_to_json,
                           format_decompose);
}

}  // namespace madlab
