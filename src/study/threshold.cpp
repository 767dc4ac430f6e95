#include "madlab/study/threshold.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "madlab/core/error.h"
#include "madlab/core/statistics.h"
#include "madlab/store/summary.h"
#include "madlab/study/analysis_output.h"
#include "madlab/study/factory.h"
#include "madlab/study/key_reader.h"
#include "madlab/study/resolved_config.h"

namespace madlab {

// ---- threshold ----

namespace {

const std::vector<std::string> kThresholdKeys = {"threshold.setting",
                                                 "threshold.metric",
                                                 "threshold.tolerance",
                                                 "threshold.tolerance_kind",
                                                 "threshold.candidates",
                                                 "threshold.refine",
                                                 "threshold.ess",
                                                 "threshold.ess_n_real_fresh",
                                                 "threshold.ess_n_synthetic",
                                                 "threshold.ess_real_sizes",
                                                 "threshold.ess_generations",
                                                 "threshold.limit_generations",
                                                 "threshold.ess_real_seeds"};

// A list of sample sizes: non-negative integers (>= min), sorted and made distinct.
std::vector<std::size_t> read_sizes(KeyReader& r, const std::string& key, std::size_t min) {
    if (!r.has(key)) return {};
    const std::vector<double> values = r.get_vector(key);
    if (values.empty()) r.fail(key, "must not be empty");
    std::set<std::size_t> sizes;
    for (double v : values) {
        if (v != std::floor(v) || v < static_cast<double>(min) || v > 1e12)
            r.fail(key, fmt::format("contains {}; every entry must be an integer >= {}", v, min));
        sizes.insert(static_cast<std::size_t>(v));
    }
    return {sizes.begin(), sizes.end()};
}

// round(n * factor), distinct and sorted, each at least `min`.
std::vector<std::size_t> scaled_grid(std::size_t n, const std::vector<double>& factors,
                                     std::size_t min) {
    std::set<std::size_t> out;
    for (double f : factors)
        out.insert(std::max(min, static_cast<std::size_t>(std::llround(n * f))));
    return {out.begin(), out.end()};
}

// The records of `study` with every setting name prefixed.
std::vector<Record> run_settings(const StudyConfig& base, std::vector<Setting> settings,
                                 int generations, int seeds, const RunOptions& run) {
    StudyConfig study = base;
    study.settings = std::move(settings);
    study.generations = generations;
    study.seeds = seeds;
    return run_study(study, run).records;
}

ChainConfig with_metric(ChainConfig config, const AnalysisMetric& metric) {
    config.metrics.names = {metric.group};
    return config;
}

void check_schedule(const ScheduleOptions& s, const std::string& what) {
    try {
        validate(s);
    } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}: {}", what, e.what()));
    }
}

std::string candidate_name(std::size_t n) { return fmt::format("candidate n_real_fresh={}", n); }
std::string loop_name(std::size_t n) { return fmt::format("ess-loop n_synthetic={}", n); }
std::string curve_name(std::size_t m) { return fmt::format("real-only m={}", m); }

ThresholdCandidate analyse_candidate(const std::vector<Record>& records, std::size_t n_real_fresh,
                                     const ThresholdOptions& o, int generations, double allowed,
                                     std::vector<double>* baseline) {
    const std::string name = candidate_name(n_real_fresh);
    const auto values = values_by_seed_generation(records, name, o.metric);
    const auto fractions = values_by_seed_generation(records, name, "real_fraction");
    std::map<std::uint64_t, double> base;
    for (const auto& [key, v] : values)
        if (key.second == 0) base[key.first] = v;
    if (baseline) {
        baseline->clear();
        for (const auto& [seed, v] : base) baseline->push_back(v);
    }
    const double sign = o.lower_is_better ? 1.0 : -1.0;
    ThresholdCandidate c;
    c.n_real_fresh = n_real_fresh;
    std::vector<double> fraction;
    for (const auto& [key, v] : fractions)
        if (key.second == generations) fraction.push_back(v);
    c.real_fraction = estimate(fraction).mean;
    c.passes = true;
    for (int t = 0; t <= generations; ++t) {
        std::vector<double> value, degradation;
        for (const auto& [seed, b] : base) {
            auto it = values.find({seed, t});
            if (it == values.end()) continue;
            value.push_back(it->second);
            degradation.push_back(sign * (it->second - b));
        }
        ThresholdGeneration g;
        g.generation = t;
        g.value = estimate(value);
        g.degradation = estimate(degradation);
        // A generation without values (the metric was undefined) cannot be shown to pass.
        g.within = degradation.size() >= 2 && g.degradation.ci95_high <= allowed;
        if (t >= 1 && !g.within && c.passes) {
            c.passes = false;
            c.first_failure = t;
        }
        c.generations.push_back(g);
    }
    return c;
}

// Smallest index above which every candidate passes; sets non_monotone.
void find_answer(ThresholdResult& result) {
    result.answer.reset();
    result.non_monotone = false;
    const auto& c = result.candidates;
    std::size_t i = c.size();
    while (i > 0 && c[i - 1].passes) --i;
    if (i < c.size()) result.answer = i;
    for (std::size_t j = 0; j < i; ++j)
        if (c[j].passes) result.non_monotone = true;
}

std::string fmt_num(double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : "-"; }
std::string fmt_est(const Estimate& e) {
    if (!std::isfinite(e.mean)) return "-";
    return fmt::format("{:.4g} [{:.4g}, {:.4g}]", e.mean, e.ci95_low, e.ci95_high);
}

}  // namespace

ThresholdOptions read_threshold_options(const StudyConfig& study) {
    const FlatConfig flat = analysis_section(study, "threshold.");
    KeyReader r(flat);
    ThresholdOptions o;
    const AnalysisTarget target = read_analysis_target(r, study, "threshold", o.metric);
    const ChainConfig& config = target.setting->config;
    const AnalysisMetric& metric = *target.metric;
    o.setting = target.setting_name;
    o.metric = metric.name;
    o.lower_is_better = metric.lower_is_better;
    try {
        check_metric_applies(metric, config, "threshold.metric");
    } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}: {}", r.where("threshold.metric"), e.what()));
    }
    o.tolerance = r.get_double("threshold.tolerance", o.tolerance, 0.0, 1e300);
    o.relative = r.get_string("threshold.tolerance_kind", "relative", {"relative", "absolute"}) ==
                 "relative";
    o.candidates = read_sizes(r, "threshold.candidates", 0);
    if (o.candidates.empty())
        o.candidates = scaled_grid(config.n, {0.0, 1.0 / 32, 1.0 / 16, 1.0 / 8, 0.25, 0.5, 1.0}, 0);
    if (config.schedule.n_synthetic == 0 && config.schedule.n_real_fixed == 0 &&
        !config.schedule.accumulate && o.candidates.front() == 0)
        r.fail("threshold.candidates",
               "contains 0, but the setting has n_synthetic = 0 and no fixed real set: "
               "generations after the first would train on no data; remove the 0");
    o.refine = static_cast<int>(r.get_int("threshold.refine", o.refine, 0, 30));
    o.ess = r.get_bool("threshold.ess", o.ess);

    const std::size_t fresh =
        config.schedule.n_real_fresh > 0 ? config.schedule.n_real_fresh : config.n;
    o.ess_n_real_fresh = static_cast<std::size_t>(
        r.get_int("threshold.ess_n_real_fresh", static_cast<std::int64_t>(fresh), 1));
    o.ess_n_synthetic = read_sizes(r, "threshold.ess_n_synthetic", 0);
    if (o.ess_n_synthetic.empty())
        o.ess_n_synthetic =
            scaled_grid(o.ess_n_real_fresh, {0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0}, 0);
    std::size_t min_size = 4;
    if (o.ess && !r.has("threshold.ess_real_sizes")) {
        // At least d + 2 points, so that a covariance can be fitted.
        min_size = std::max<std::size_t>(min_size, make_source(config.source)->dim() + 2);
    }
    o.ess_real_sizes = read_sizes(r, "threshold.ess_real_sizes", 2);
    if (o.ess_real_sizes.empty()) {
        std::vector<double> factors;
        for (int k = -4; k <= 5; ++k) factors.push_back(std::ldexp(1.0, k));
        o.ess_real_sizes = scaled_grid(o.ess_n_real_fresh, factors, min_size);
    }
    o.ess_generations = static_cast<int>(
        r.get_int("threshold.ess_generations", std::max(1, study.generations), 1, 1000000));
    o.limit_generations = static_cast<int>(
        r.get_int("threshold.limit_generations", std::max(1, o.ess_generations / 4), 1, 1000000));
    if (o.limit_generations > o.ess_generations)
        r.fail("threshold.limit_generations",
               fmt::format("= {} exceeds threshold.ess_generations = {}: the limit averages the "
                           "last generations of the fresh-data loop",
                           o.limit_generations, o.ess_generations));
    o.ess_real_seeds = static_cast<int>(
        r.get_int("threshold.ess_real_seeds", std::max(2, 4 * study.seeds), 2, 1000000));
    r.reject_unused(kThresholdKeys);

    if (study.seeds < 2)
        throw ConfigError(fmt::format(
            "{}: madlab threshold needs study.seeds >= 2 to state a 95% interval (it has {}); "
            "10 or more give a useful one",
            study_where(study), study.seeds));
    if (study.generations < 1)
        throw ConfigError(fmt::format(
            "{}: madlab threshold needs study.generations >= 1 (generation 0 is the baseline)",
            study_where(study)));
    return o;
}

std::vector<double> monotone_fit(const std::vector<double>& f, bool lower_is_better) {
    // Pool-adjacent-violators for a non-decreasing fit of g = -f (lower is better) or f.
    const double sign = lower_is_better ? -1.0 : 1.0;
    std::vector<double> level;
    std::vector<std::size_t> width;
    for (double v : f) {
        level.push_back(sign * v);
        width.push_back(1);
        while (level.size() > 1 && level[level.size() - 2] > level.back()) {
            const std::size_t w = width[width.size() - 2] + width.back();
            const double merged =
                (level[level.size() - 2] * width[width.size() - 2] + level.back() * width.back()) /
                static_cast<double>(w);
            level.pop_back();
            width.pop_back();
            level.back() = merged;
            width.back() = w;
        }
    }
    std::vector<double> out;
    for (std::size_t b = 0; b < level.size(); ++b) out.insert(out.end(), width[b], sign * level[b]);
    return out;
}

double effective_sample_size(const std::vector<std::size_t>& m, const std::vector<double>& f,
                             double value, bool lower_is_better, std::string* clamped) {
    if (m.empty() || m.size() != f.size())
        throw Error("effective_sample_size: the real-only curve is empty or ragged");
    if (clamped) clamped->clear();
    const std::vector<double> g = monotone_fit(f, lower_is_better);
    const bool logs = std::all_of(g.begin(), g.end(), [](double v) { return v > 0.0; });
    auto y = [&](double v) { return logs ? std::log(v) : v; };
    // better(a, b): a is a better metric value than b.
    auto better = [&](double a, double b) { return lower_is_better ? a < b : a > b; };
    const std::size_t k = m.size();
    if (logs && value <= 0.0) {
        // A value no positive curve point reaches: better than all (lower) or worse than all.
        if (clamped) *clamped = lower_is_better ? "above" : "below";
        return static_cast<double>(lower_is_better ? m.back() : m.front());
    }
    if (better(g.front(), value)) {
        if (clamped) *clamped = "below";
        return static_cast<double>(m.front());
    }
    if (better(value, g.back())) {
        if (clamped) *clamped = "above";
        return static_cast<double>(m.back());
    }
    const double v = y(value);
    for (std::size_t i = 0; i + 1 < k; ++i) {
        // g[i] no better than value, g[i+1] no worse.
        if (better(g[i], value) || better(value, g[i + 1])) continue;
        const double x0 = std::log(static_cast<double>(m[i]));
        const double x1 = std::log(static_cast<double>(m[i + 1]));
        const double y0 = y(g[i]), y1 = y(g[i + 1]);
        if (y0 == y1) return std::exp(0.5 * (x0 + x1));
        return std::exp(x0 + (v - y0) / (y1 - y0) * (x1 - x0));
    }
    return static_cast<double>(m.back());  // value equals g.back() (k == 1)
}

ThresholdResult run_threshold(const StudyConfig& study, const ThresholdOptions& options,
                              const RunOptions& run) {
    const auto start = std::chrono::steady_clock::now();
    const AnalysisTarget target =
        analysis_target(study, "threshold", options.setting, options.metric);
    const Setting& setting = *target.setting;
    const AnalysisMetric* metric = target.metric;
    check_metric_applies(*metric, setting.config, "threshold.metric");
    if (options.candidates.empty()) throw ConfigError("threshold.candidates: no candidates");

    ThresholdResult result;
    result.options = options;
    result.setting = setting.name;
    result.generations = study.generations;
    result.seeds = study.seeds;

    auto candidate_setting = [&](std::size_t n) {
        Setting s;
        s.name = candidate_name(n);
        s.label = fmt::format("{}: schedule.n_real_fresh={}", setting.name, n);
        s.config = with_metric(setting.config, *metric);
        s.config.schedule.n_real_fresh = n;
        check_schedule(s.config.schedule,
                       fmt::format("threshold.candidates (n_real_fresh = {})", n));
        return s;
    };

    std::vector<std::size_t> sizes = options.candidates;
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    std::vector<Setting> settings;
    for (std::size_t n : sizes) settings.push_back(candidate_setting(n));
    std::vector<Record> records =
        run_settings(study, std::move(settings), study.generations, study.seeds, run);

    // The baseline is generation 0, shared by all candidates (it does not depend on
    // n_real_fresh); the first candidate's is reported.
    std::vector<double> baseline;
    {
        (void)analyse_candidate(records, sizes.front(), options, study.generations, 0.0, &baseline);
        result.baseline = estimate(baseline);
    }
    if (baseline.size() < 2)
        throw NumericalError(fmt::format(
            "threshold: the metric {} has fewer than 2 values at generation 0; it is undefined "
            "for this setting",
            options.metric));
    result.allowed =
        options.relative ? options.tolerance * std::abs(result.baseline.mean) : options.tolerance;
    for (std::size_t n : sizes)
        result.candidates.push_back(
            analyse_candidate(records, n, options, study.generations, result.allowed, nullptr));
    find_answer(result);

    // Bisection between the largest failing and the smallest passing candidate.
    for (int step = 0; step < options.refine; ++step) {
        if (!result.answer || *result.answer == 0) break;
        const std::size_t lo = result.candidates[*result.answer - 1].n_real_fresh;
        const std::size_t hi = result.candidates[*result.answer].n_real_fresh;
        if (hi - lo <= 1) break;
        const std::size_t mid = lo + (hi - lo) / 2;
        std::vector<Record> more =
            run_settings(study, {candidate_setting(mid)}, study.generations, study.seeds, run);
        ThresholdCandidate c =
            analyse_candidate(more, mid, options, study.generations, result.allowed, nullptr);
        c.refined = true;
        records.insert(records.end(), more.begin(), more.end());
        result.candidates.insert(result.candidates.begin() + *result.answer, c);
        find_answer(result);
    }

    if (options.ess) {
        result.ess_n_real_fresh = options.ess_n_real_fresh;
        result.ess_generations = options.ess_generations;
        result.limit_generations = options.limit_generations;
        // The fresh-data loops.
        std::vector<Setting> loops;
        for (std::size_t ns : options.ess_n_synthetic) {
            Setting s;
            s.name = loop_name(ns);
            s.label = fmt::format("{}: fresh-data loop, n_real_fresh={}, n_synthetic={}",
                                  setting.name, options.ess_n_real_fresh, ns);
            s.config = with_metric(setting.config, *metric);
            ScheduleOptions& sch = s.config.schedule;
            sch.n_real_fresh = options.ess_n_real_fresh;
            sch.n_synthetic = ns;
            sch.n_real_fixed = 0;
            sch.accumulate = false;
            sch.subsample = 0;
            check_schedule(sch, fmt::format("threshold.ess_n_synthetic ({})", ns));
            loops.push_back(std::move(s));
        }
        std::vector<Record> loop_records =
            run_settings(study, std::move(loops), options.ess_generations, study.seeds, run);
        // The real-only curve: generation 0 of a model fitted on m real points.
        std::vector<Setting> curve;
        for (std::size_t m : options.ess_real_sizes) {
            Setting s;
            s.name = curve_name(m);
            s.label = fmt::format("{}: real data only, m={}", setting.name, m);
            s.config = with_metric(setting.config, *metric);
            ScheduleOptions& sch = s.config.schedule;
            sch = ScheduleOptions{};
            sch.n_real_initial = m;
            sch.n_real_fresh = m;  // later generations (not run) would be real-only too
            sch.n_synthetic = 0;
            curve.push_back(std::move(s));
        }
        std::vector<Record> curve_records =
            run_settings(study, std::move(curve), 0, options.ess_real_seeds, run);

        std::vector<double> f;
        for (std::size_t m : options.ess_real_sizes) {
            std::vector<double> v;
            for (const auto& [key, value] :
                 values_by_seed_generation(curve_records, curve_name(m), options.metric))
                v.push_back(value);
            EssCurvePoint p;
            p.m = m;
            p.value = estimate(v);
            if (v.empty())
                throw NumericalError(fmt::format(
                    "threshold: the metric {} is undefined for a model fitted on {} real points; "
                    "raise the smallest entry of threshold.ess_real_sizes",
                    options.metric, m));
            f.push_back(p.value.mean);
            result.real_curve.push_back(p);
        }
        const std::vector<double> mono = monotone_fit(f, options.lower_is_better);
        for (std::size_t i = 0; i < mono.size(); ++i) result.real_curve[i].monotone = mono[i];

        const int G = options.ess_generations;
        const int L = options.limit_generations;
        for (std::size_t ns : options.ess_n_synthetic) {
            std::map<std::uint64_t, std::vector<double>> tail;
            for (const auto& [key, value] :
                 values_by_seed_generation(loop_records, loop_name(ns), options.metric))
                if (key.second > G - L) tail[key.first].push_back(value);
            std::vector<double> limits;
            for (const auto& [seed, v] : tail) limits.push_back(estimate(v).mean);
            EssPoint p;
            p.n_synthetic = ns;
            p.limit = estimate(limits);
            if (limits.empty()) {
                p.n_e = p.n_e_low = p.n_e_high = p.ratio = std::numeric_limits<double>::quiet_NaN();
            } else {
                p.n_e = effective_sample_size(options.ess_real_sizes, f, p.limit.mean,
                                              options.lower_is_better, &p.clamped);
                const double a = effective_sample_size(options.ess_real_sizes, f, p.limit.ci95_low,
                                                       options.lower_is_better);
                const double b = effective_sample_size(options.ess_real_sizes, f, p.limit.ci95_high,
                                                       options.lower_is_better);
                p.n_e_low = std::min(a, b);
                p.n_e_high = std::max(a, b);
                p.ratio = p.n_e / static_cast<double>(options.ess_n_real_fresh);
            }
            result.ess.push_back(p);
        }
        records.insert(records.end(), loop_records.begin(), loop_records.end());
        records.insert(records.end(), curve_records.begin(), curve_records.end());
    }
    result.records = std::move(records);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

std::string format_threshold(const ThresholdResult& r) {
    const ThresholdOptions& o = r.options;
    const int G = r.generations;
    std::string tol = o.relative ? fmt::format("{:g}% of the baseline", 100.0 * o.tolerance)
                                 : fmt::format("{:g} (absolute)", o.tolerance);
    std::string out = fmt::format(
        "threshold: setting \"{}\", metric {} ({} is better), tolerance {}; {} seeds, "
        "generations 1..{}\n",
        r.setting, o.metric, o.lower_is_better ? "lower" : "higher", tol, r.seeds, G);
    out += fmt::format("baseline (generation 0, real data only): {} {}; allowed degradation {}\n",
                       o.metric, fmt_est(r.baseline), fmt_num(r.allowed));
    if (r.answer) {
        const ThresholdCandidate& c = r.candidates[*r.answer];
        out += fmt::format(
            "answer: n_real_fresh = {} (real fraction {:.3g}) is the smallest candidate that keeps "
            "{} within the tolerance at every generation 1..{} (upper 95% bound)",
            c.n_real_fresh, c.real_fraction, o.metric, G);
        if (*r.answer > 0)
            out += fmt::format("; n_real_fresh = {} does not",
                               r.candidates[*r.answer - 1].n_real_fresh);
        out += "\n";
        if (r.non_monotone)
            out +=
                "note: non-monotone: a smaller candidate passes too (noise); more seeds "
                "would settle it\n";
    } else {
        const ThresholdCandidate& c = r.candidates.back();
        out += fmt::format(
            "answer: none of the candidates suffices; the largest, n_real_fresh = {}, first "
            "fails at generation {}\n",
            c.n_real_fresh, c.first_failure);
    }
    out += fmt::format("\n  {:>12}  {:>9}  {:<30}  {:<30}  {}\n", "n_real_fresh", "real_frac",
                       fmt::format("{} at gen {} [95%]", o.metric, G),
                       "worst degradation [95%] (gen)", "result");
    for (const auto& c : r.candidates) {
        const ThresholdGeneration* worst = nullptr;
        for (const auto& g : c.generations)
            if (g.generation >= 1 &&
                (!worst || !(g.degradation.ci95_high <= worst->degradation.ci95_high)))
                worst = &g;
        const std::string worst_text =
            worst ? fmt::format("{} ({})", fmt_est(worst->degradation), worst->generation) : "-";
        const std::string verdict =
            c.passes ? "pass" : fmt::format("fail at gen {}", c.first_failure);
        out += fmt::format("  {:>12}  {:>9.3g}  {:<30}  {:<30}  {}{}\n", c.n_real_fresh,
                           c.real_fraction, fmt_est(c.generations.back().value), worst_text,
                           verdict, c.refined ? " (refined)" : "");
    }
    if (!r.ess.empty()) {
        out += fmt::format(
            "\neffective sample size (Alemohammad et al. 2023): fresh-data loop with "
            "n_real_fresh = {}, generations 0..{}, limit = mean of the last {}\n",
            r.ess_n_real_fresh, r.ess_generations, r.limit_generations);
        out += "real data only: m -> " + o.metric + "\n";
        for (const auto& p : r.real_curve)
            out += fmt::format("  {:>10}  {}\n", p.m, fmt_est(p.value));
        out += fmt::format("  {:>11}  {:<30}  {:<28}  {}\n", "n_synthetic",
                           fmt::format("limit of {} [95%]", o.metric), "n_e [95%]",
                           "n_e / n_real_fresh");
        for (const auto& p : r.ess) {
            const std::string ne = std::isfinite(p.n_e) ? fmt::format("{:.4g} [{:.4g}, {:.4g}]",
                                                                      p.n_e, p.n_e_low, p.n_e_high)
                                                        : "-";
            std::string note;
            if (p.clamped == "below") note = " (n_e below the grid: clamped)";
            if (p.clamped == "above") note = " (n_e above the grid: clamped)";
            out += fmt::format("  {:>11}  {:<30}  {:<28}  {}{}\n", p.n_synthetic, fmt_est(p.limit),
                               ne, fmt_num(p.ratio), note);
        }
    }
    return out;
}

nlohmann::json threshold_to_json(const ThresholdResult& r) {
    const ThresholdOptions& o = r.options;
    nlohmann::json j;
    j["setting"] = r.setting;
    j["metric"] = o.metric;
    j["lower_is_better"] = o.lower_is_better;
    j["tolerance"] = o.tolerance;
    j["tolerance_kind"] = o.relative ? "relative" : "absolute";
    j["generations"] = r.generations;
    j["seeds"] = r.seeds;
    j["baseline"] = to_json(r.baseline);
    j["allowed_degradation"] = json_number(r.allowed);
    j["answer_n_real_fresh"] =
        r.answer ? nlohmann::json(r.candidates[*r.answer].n_real_fresh) : nlohmann::json();
    j["answer_real_fraction"] =
        r.answer ? json_number(r.candidates[*r.answer].real_fraction) : nlohmann::json();
    j["non_monotone"] = r.non_monotone;
    nlohmann::json candidates = nlohmann::json::array();
    for (const auto& c : r.candidates) {
        nlohmann::json cj;
        cj["n_real_fresh"] = c.n_real_fresh;
        cj["real_fraction"] = json_number(c.real_fraction);
        cj["passes"] = c.passes;
        cj["first_failure"] =
            c.first_failure >= 0 ? nlohmann::json(c.first_failure) : nlohmann::json();
        cj["refined"] = c.refined;
        nlohmann::json gens = nlohmann::json::array();
        for (const auto& g : c.generations)
            gens.push_back({{"generation", g.generation},
                            {"value", to_json(g.value)},
                            {"degradation", to_json(g.degradation)},
                            {"within", g.within}});
        cj["generations"] = gens;
        candidates.push_back(cj);
    }
    j["candidates"] = candidates;
    if (o.ess) {
        nlohmann::json ess;
        ess["n_real_fresh"] = r.ess_n_real_fresh;
        ess["generations"] = r.ess_generations;
        ess["limit_generations"] = r.limit_generations;
        nlohmann::json curve = nlohmann::json::array();
        for (const auto& p : r.real_curve)
            curve.push_back(
                {{"m", p.m}, {"value", to_json(p.value)}, {"monotone", json_number(p.monotone)}});
        ess["real_only_curve"] = curve;
        nlohmann::json points = nlohmann::json::array();
        for (const auto& p : r.ess)
            points.push_back({{"n_synthetic", p.n_synthetic},
                              {"limit", to_json(p.limit)},
                              {"n_e", json_number(p.n_e)},
                              {"n_e_ci95_low", json_number(p.n_e_low)},
                              {"n_e_ci95_high", json_number(p.n_e_high)},
                              {"ratio", json_number(p.ratio)},
                              {"clamped", p.clamped}});
        ess["points"] = points;
        j["effective_sample_size"] = ess;
    }
    j["run_seconds"] = r.seconds;
    return j;
}

void write_threshold_outputs(const std::string& dir, const StudyConfig& study,
                             const ThresholdResult& result) {
    write_analysis_outputs(dir, study, "threshold", threshold_to_json(result), result.records);
}

std::string ThresholdAnalysis::name() const { return "threshold"; }

void ThresholdAnalysis::read_options(const StudyConfig& study) {
    options_ = read_threshold_options(study);
}

StudyOutput ThresholdAnalysis::run(const StudyConfig& study, const RunOptions& run) const {
    StudyOutput output =
        analysis_output(run_threshold(study, options_, run), threshold_to_json, format_threshold);
    // --quiet keeps the answer line only.
    const auto begin = output.text.find("answer:");
    output.quiet_text = output.text.substr(begin, output.text.find('\n', begin) - begin + 1);
    return output;
}

}  // namespace madlab
