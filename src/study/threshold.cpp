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
                                                 "threshold.metrics",
                                                 "threshold.real_fractions",
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

// The config computing the metric groups of `metrics` only (each group once, in order).
ChainConfig with_metrics(ChainConfig config, const std::vector<AnalysisMetric>& metrics) {
    config.metrics.names.clear();
    for (const AnalysisMetric& m : metrics)
        if (std::find(config.metrics.names.begin(), config.metrics.names.end(), m.group) ==
            config.metrics.names.end())
            config.metrics.names.push_back(m.group);
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

// One run of the search: the loop with n_real_fresh fresh and n_synthetic synthetic points.
struct CandidateRun {
    std::size_t n_real_fresh = 0;
    std::size_t n_synthetic = 0;
    double fraction = std::numeric_limits<double>::quiet_NaN();  // as a real fraction candidate
    bool refined = false;
};

// The smallest S >= 2 with (t_{0.975,S-1} + z) sd / sqrt(S) <= room (sd > 0, room > 0), or 0
// when it is above 10^7. The left side falls with S and exceeds the normal approximation
// (1.96 + z)^2 sd^2 / room^2 below it, so the walk starts there.
int smallest_seed_count(double sd, double room, double z) {
    const double normal = std::pow((1.959963984540054 + z) * sd / room, 2.0);
    if (normal > 1e7) return 0;
    std::size_t seeds = std::max<std::size_t>(2, static_cast<std::size_t>(normal));
    while ((student_t_975(seeds - 1) + z) * sd / std::sqrt(static_cast<double>(seeds)) > room)
        ++seeds;
    return seeds > 10000000 ? 0 : static_cast<int>(seeds);
}

// Per seed, generation 0 of `metric` in the run of `n_real_fresh` (the baseline B_s).
std::map<std::uint64_t, double> baseline_by_seed(const std::vector<Record>& records,
                                                 std::size_t n_real_fresh,
                                                 const std::string& metric) {
    std::map<std::uint64_t, double> base;
    for (const auto& [key, v] :
         values_by_seed_generation(records, candidate_name(n_real_fresh), metric))
        if (key.second == 0) base[key.first] = v;
    return base;
}

ThresholdCandidate analyse_candidate(const std::vector<Record>& records, const CandidateRun& run,
                                     const AnalysisMetric& metric, int generations,
                                     double allowed) {
    const std::string name = candidate_name(run.n_real_fresh);
    const auto values = values_by_seed_generation(records, name, metric.name);
    const auto fractions = values_by_seed_generation(records, name, "real_fraction");
    std::map<std::uint64_t, double> base;  // B_s
    for (const auto& [key, v] : values)
        if (key.second == 0) base[key.first] = v;
    const double sign = metric.lower_is_better ? 1.0 : -1.0;
    ThresholdCandidate c;
    c.n_real_fresh = run.n_real_fresh;
    c.n_synthetic = run.n_synthetic;
    c.candidate_fraction = run.fraction;
    c.refined = run.refined;
    std::vector<double> fraction;
    for (const auto& [key, v] : fractions)
        if (key.second == generations) fraction.push_back(v);
    c.real_fraction = estimate(fraction).mean;
    c.passes = true;
    bool beyond = false;
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
        g.degradation_sd =
            degradation.size() >= 2 ? sample_std(degradation, g.degradation.mean) : 0.0;
        // A generation without values (the metric was undefined) cannot be shown to pass.
        g.within = degradation.size() >= 2 && g.degradation.ci95_high <= allowed;
        g.beyond = degradation.size() >= 2 && g.degradation.ci95_low > allowed;
        if (t >= 1 && !g.within && c.passes) {
            c.passes = false;
            c.first_failure = t;
        }
        if (t >= 1 && g.beyond && !beyond) {
            beyond = true;
            c.first_beyond = t;
        }
        c.generations.push_back(g);
    }
    c.result = c.passes ? CandidateResult::kPass
               : beyond ? CandidateResult::kFail
                        : CandidateResult::kInconclusive;
    return c;
}

// Smallest index above which every candidate passes; sets non_monotone.
void find_answer(ThresholdMetricResult& result) {
    result.answer.reset();
    result.non_monotone = false;
    const auto& c = result.candidates;
    std::size_t i = c.size();
    while (i > 0 && c[i - 1].passes) --i;
    if (i < c.size()) result.answer = i;
    for (std::size_t j = 0; j < i; ++j)
        if (c[j].passes) result.non_monotone = true;
}

// The metric's answer over every run so far (runs sorted by n_real_fresh).
ThresholdMetricResult analyse_metric(const std::vector<Record>& records,
                                     const std::vector<CandidateRun>& runs,
                                     const AnalysisMetric& metric, const ThresholdOptions& o,
                                     int generations) {
    ThresholdMetricResult r;
    r.metric = metric;
    std::vector<double> baseline;
    for (const auto& [seed, v] : baseline_by_seed(records, runs.front().n_real_fresh, metric.name))
        baseline.push_back(v);
    if (baseline.size() < 2)
        throw NumericalError(fmt::format(
            "threshold: the metric {} has fewer than 2 values at generation 0; it is undefined "
            "for this setting (leave it out of threshold.metrics)",
            metric.name));
    r.baseline = estimate(baseline);
    r.baseline_noise = r.baseline.ci95_high - r.baseline.mean;
    r.allowed = o.relative ? o.tolerance * std::abs(r.baseline.mean) : o.tolerance;
    r.noise_exceeds_tolerance = r.baseline_noise > r.allowed;
    if (r.noise_exceeds_tolerance)  // the seeds whose 95% half-width of mean B is within A
        r.baseline_seeds =
            smallest_seed_count(sample_std(baseline, r.baseline.mean), r.allowed, 0.0);
    for (const CandidateRun& run : runs)
        r.candidates.push_back(analyse_candidate(records, run, metric, generations, r.allowed));
    find_answer(r);
    const ThresholdCandidate& largest = r.candidates.back();
    r.undecided = !r.answer && largest.result == CandidateResult::kInconclusive;
    if (r.undecided) {
        // The largest candidate's degradation over generations 1..G: its mean (the best guess
        // of the true degradation; the worst single generation would be biased upwards by the
        // noise that makes it the worst) and the root mean square of its sd per generation.
        std::vector<double> means;
        double squares = 0.0;
        for (const auto& g : largest.generations) {
            if (g.generation < 1 || g.degradation.count < 2) continue;
            means.push_back(g.degradation.mean);
            squares += g.degradation_sd * g.degradation_sd;
        }
        if (!means.empty())
            r.seeds_needed =
                seeds_to_resolve(sample_mean(means),
                                 std::sqrt(squares / static_cast<double>(means.size())), r.allowed);
    }
    return r;
}

std::string fmt_num(double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : "-"; }
std::string fmt_est(const Estimate& e) {
    if (!std::isfinite(e.mean)) return "-";
    return fmt::format("{:.4g} [{:.4g}, {:.4g}]", e.mean, e.ci95_low, e.ci95_high);
}

}  // namespace

const char* candidate_result_name(CandidateResult r) {
    switch (r) {
        case CandidateResult::kPass:
            return "pass";
        case CandidateResult::kFail:
            return "fail";
        case CandidateResult::kInconclusive:
            break;
    }
    return "inconclusive";
}

int seeds_to_resolve(double mean, double sd, double allowed) {
    constexpr double kZ80 = 0.8416212335729143;  // the standard normal's 0.8 quantile
    const double room = allowed - std::max(0.0, mean);
    if (!(room > 0.0) || !std::isfinite(sd)) return 0;
    if (sd <= 0.0) return 2;
    return smallest_seed_count(sd, room, kZ80);
}

ThresholdOptions read_threshold_options(const StudyConfig& study) {
    const FlatConfig flat = analysis_section(study, "threshold.");
    KeyReader r(flat);
    ThresholdOptions o;
    const AnalysisTarget target = read_analysis_target(r, study, "threshold", "frechet");
    const ChainConfig& config = target.setting->config;
    o.setting = target.setting_name;
    auto check = [&](const AnalysisMetric& metric, const std::string& key) {
        try {
            check_metric_applies(metric, config, key);
        } catch (const ConfigError& e) {
            throw ConfigError(fmt::format("{}: {}", r.where(key), e.what()));
        }
    };
    if (r.has("threshold.metric") && r.has("threshold.metrics"))
        r.fail("threshold.metrics",
               "and threshold.metric are both set; give the metrics in threshold.metrics only");
    if (r.has("threshold.metrics")) {
        for (const std::string& name :
             r.get_strings("threshold.metrics", {}, analysis_metric_names())) {
            const AnalysisMetric& metric = *find_analysis_metric(name);
            check(metric, "threshold.metrics");
            if (std::none_of(o.metrics.begin(), o.metrics.end(),
                             [&](const AnalysisMetric& m) { return m.name == name; }))
                o.metrics.push_back(metric);
        }
        if (o.metrics.empty()) r.fail("threshold.metrics", "must name at least one metric");
    } else if (r.has("threshold.metric")) {
        check(*target.metric, "threshold.metric");
        o.metrics = {*target.metric};
    } else {
        // Every analysable metric the setting records, in analysis_metrics()' order.
        const auto& listed = config.metrics.names;
        for (const AnalysisMetric& metric : analysis_metrics()) {
            if (std::find(listed.begin(), listed.end(), metric.group) == listed.end()) continue;
            try {
                check_metric_applies(metric, config, "threshold.metrics");
            } catch (const ConfigError&) {
                continue;
            }
            o.metrics.push_back(metric);
        }
        if (o.metrics.empty()) o.metrics = {*find_analysis_metric("frechet")};
    }
    o.tolerance = r.get_double("threshold.tolerance", o.tolerance, 0.0, 1e300);
    o.relative = r.get_string("threshold.tolerance_kind", "relative", {"relative", "absolute"}) ==
                 "relative";
    if (r.has("threshold.candidates") && r.has("threshold.real_fractions"))
        r.fail("threshold.real_fractions",
               "and threshold.candidates are both set; give the candidates either as n_real_fresh "
               "values (candidates) or as real fractions (real_fractions)");
    if (r.has("threshold.real_fractions")) {
        const std::vector<double> values = r.get_vector("threshold.real_fractions");
        if (values.empty()) r.fail("threshold.real_fractions", "must not be empty");
        std::set<double> fractions;
        for (double f : values) {
            if (!(f >= 0.0 && f <= 1.0))
                r.fail("threshold.real_fractions",
                       fmt::format("contains {}; every entry is a fraction in [0, 1]", f));
            fractions.insert(f);
        }
        o.real_fractions.assign(fractions.begin(), fractions.end());
        o.new_per_generation = config.schedule.n_real_fresh + config.schedule.n_synthetic;
        if (o.new_per_generation == 0) o.new_per_generation = config.n;
        std::set<std::size_t> sizes;
        for (double f : o.real_fractions)
            sizes.insert(static_cast<std::size_t>(
                std::llround(f * static_cast<double>(o.new_per_generation))));
        o.candidates.assign(sizes.begin(), sizes.end());
        if (o.candidates.size() < o.real_fractions.size())
            r.fail("threshold.real_fractions",
                   fmt::format("has fractions that give the same n_real_fresh of the {} new "
                               "points per generation; make them further apart",
                               o.new_per_generation));
    } else {
        o.candidates = read_sizes(r, "threshold.candidates", 0);
        if (o.candidates.empty())
            o.candidates =
                scaled_grid(config.n, {0.0, 1.0 / 32, 1.0 / 16, 1.0 / 8, 0.25, 0.5, 1.0}, 0);
        if (config.schedule.n_synthetic == 0 && config.schedule.n_real_fixed == 0 &&
            !config.schedule.accumulate && o.candidates.front() == 0)
            r.fail("threshold.candidates",
                   "contains 0, but the setting has n_synthetic = 0 and no fixed real set: "
                   "generations after the first would train on no data; remove the 0");
    }
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

namespace {

// n_e of one metric from the fresh-data loops' and the real-only curve's records.
void add_effective_sample_size(ThresholdMetricResult& result,
                               const std::vector<Record>& loop_records,
                               const std::vector<Record>& curve_records,
                               const ThresholdOptions& options) {
    const std::string& name = result.metric.name;
    const bool lower_is_better = result.metric.lower_is_better;
    std::vector<double> f;
    for (std::size_t m : options.ess_real_sizes) {
        std::vector<double> v;
        for (const auto& [key, value] :
             values_by_seed_generation(curve_records, curve_name(m), name))
            v.push_back(value);
        EssCurvePoint p;
        p.m = m;
        p.value = estimate(v);
        if (v.empty())
            throw NumericalError(fmt::format(
                "threshold: the metric {} is undefined for a model fitted on {} real points; "
                "raise the smallest entry of threshold.ess_real_sizes",
                name, m));
        f.push_back(p.value.mean);
        result.real_curve.push_back(p);
    }
    const std::vector<double> mono = monotone_fit(f, lower_is_better);
    for (std::size_t i = 0; i < mono.size(); ++i) result.real_curve[i].monotone = mono[i];

    const int G = options.ess_generations;
    const int L = options.limit_generations;
    for (std::size_t ns : options.ess_n_synthetic) {
        std::map<std::uint64_t, std::vector<double>> tail;
        for (const auto& [key, value] :
             values_by_seed_generation(loop_records, loop_name(ns), name))
            if (key.second > G - L) tail[key.first].push_back(value);
        std::vector<double> limits;
        for (const auto& [seed, v] : tail) limits.push_back(estimate(v).mean);
        EssPoint p;
        p.n_synthetic = ns;
        p.limit = estimate(limits);
        if (limits.empty()) {
            p.n_e = p.n_e_low = p.n_e_high = p.ratio = std::numeric_limits<double>::quiet_NaN();
        } else {
            p.n_e = effective_sample_size(options.ess_real_sizes, f, p.limit.mean, lower_is_better,
                                          &p.clamped);
            const double a =
                effective_sample_size(options.ess_real_sizes, f, p.limit.ci95_low, lower_is_better);
            const double b = effective_sample_size(options.ess_real_sizes, f, p.limit.ci95_high,
                                                   lower_is_better);
            p.n_e_low = std::min(a, b);
            p.n_e_high = std::max(a, b);
            p.ratio = p.n_e / static_cast<double>(options.ess_n_real_fresh);
        }
        result.ess.push_back(p);
    }
}

}  // namespace

ThresholdResult run_threshold(const StudyConfig& study, const ThresholdOptions& options,
                              const RunOptions& run) {
    const auto start = std::chrono::steady_clock::now();
    if (options.metrics.empty()) throw ConfigError("threshold.metrics: no metric to analyse");
    const Setting& setting = analysis_setting(study, options.setting, "threshold.setting");
    for (const AnalysisMetric& metric : options.metrics)
        check_metric_applies(metric, setting.config, "threshold.metrics");
    if (options.candidates.empty()) throw ConfigError("threshold.candidates: no candidates");
    const ChainConfig measured = with_metrics(setting.config, options.metrics);
    const bool as_fractions = !options.real_fractions.empty();

    ThresholdResult result;
    result.options = options;
    result.setting = setting.name;
    result.generations = study.generations;
    result.seeds = study.seeds;

    // n_real_fresh candidates keep the setting's n_synthetic; a real fraction f of N new points
    // per generation runs round(f N) real and the rest synthetic.
    auto candidate_run = [&](std::size_t n, bool refined) {
        CandidateRun c;
        c.n_real_fresh = n;
        c.n_synthetic = measured.schedule.n_synthetic;
        c.refined = refined;
        if (as_fractions) {
            c.n_synthetic = options.new_per_generation - n;
            c.fraction = static_cast<double>(n) / static_cast<double>(options.new_per_generation);
        }
        return c;
    };
    auto candidate_setting = [&](const CandidateRun& c) {
        Setting s;
        s.name = candidate_name(c.n_real_fresh);
        s.label = as_fractions
                      ? fmt::format(
                            "{}: real fraction {:.4g} (schedule.n_real_fresh={}, "
                            "schedule.n_synthetic={})",
                            setting.name, c.fraction, c.n_real_fresh, c.n_synthetic)
                      : fmt::format("{}: schedule.n_real_fresh={}", setting.name, c.n_real_fresh);
        s.config = measured;
        s.config.schedule.n_real_fresh = c.n_real_fresh;
        s.config.schedule.n_synthetic = c.n_synthetic;
        check_schedule(
            s.config.schedule,
            as_fractions ? fmt::format("threshold.real_fractions ({:.4g})", c.fraction)
                         : fmt::format("threshold.candidates (n_real_fresh = {})", c.n_real_fresh));
        return s;
    };

    std::vector<CandidateRun> runs;
    for (std::size_t n : options.candidates) runs.push_back(candidate_run(n, false));
    std::vector<Setting> settings;
    for (const CandidateRun& c : runs) settings.push_back(candidate_setting(c));
    std::vector<Record> records =
        run_settings(study, std::move(settings), study.generations, study.seeds, run);

    // Bisection between the largest failing and the smallest passing candidate, metric by
    // metric; a run added for one metric serves every metric.
    for (const AnalysisMetric& metric : options.metrics) {
        for (int step = 0; step < options.refine; ++step) {
            const ThresholdMetricResult r =
                analyse_metric(records, runs, metric, options, study.generations);
            if (!r.answer || *r.answer == 0) break;
            const std::size_t lo = r.candidates[*r.answer - 1].n_real_fresh;
            const std::size_t hi = r.candidates[*r.answer].n_real_fresh;
            if (hi - lo <= 1) break;
            const CandidateRun mid = candidate_run(lo + (hi - lo) / 2, true);
            std::vector<Record> more =
                run_settings(study, {candidate_setting(mid)}, study.generations, study.seeds, run);
            records.insert(records.end(), more.begin(), more.end());
            runs.insert(std::upper_bound(runs.begin(), runs.end(), mid,
                                         [](const CandidateRun& a, const CandidateRun& b) {
                                             return a.n_real_fresh < b.n_real_fresh;
                                         }),
                        mid);
        }
    }
    for (const AnalysisMetric& metric : options.metrics)
        result.metrics.push_back(analyse_metric(records, runs, metric, options, study.generations));

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
            s.config = measured;
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
            s.config = measured;
            ScheduleOptions& sch = s.config.schedule;
            sch = ScheduleOptions{};
            sch.n_real_initial = m;
            sch.n_real_fresh = m;  // later generations (not run) would be real-only too
            sch.n_synthetic = 0;
            curve.push_back(std::move(s));
        }
        std::vector<Record> curve_records =
            run_settings(study, std::move(curve), 0, options.ess_real_seeds, run);
        for (ThresholdMetricResult& metric : result.metrics)
            add_effective_sample_size(metric, loop_records, curve_records, options);
        records.insert(records.end(), loop_records.begin(), loop_records.end());
        records.insert(records.end(), curve_records.begin(), curve_records.end());
    }
    result.records = std::move(records);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

namespace {

// "n_real_fresh = 250" or "real fraction 0.25 (n_real_fresh = 250 of 1000)".
std::string candidate_text(const ThresholdCandidate& c) {
    if (std::isfinite(c.candidate_fraction))
        return fmt::format("real fraction {:.4g} (n_real_fresh = {} of {})", c.candidate_fraction,
                           c.n_real_fresh, c.n_real_fresh + c.n_synthetic);
    return fmt::format("n_real_fresh = {}", c.n_real_fresh);
}

// The "answer (metric): ..." line of one metric.
std::string answer_line(const ThresholdMetricResult& m, int G, int seeds) {
    std::string out = fmt::format("answer ({}): ", m.metric.name);
    if (m.answer) {
        const ThresholdCandidate& c = m.candidates[*m.answer];
        const std::string share = std::isfinite(c.candidate_fraction)
                                      ? ""
                                      : fmt::format(" (real fraction {:.3g})", c.real_fraction);
        out += fmt::format(
            "{}{} is the smallest candidate that keeps {} within the tolerance at every "
            "generation 1..{} (upper 95% bound)",
            candidate_text(c), share, m.metric.name, G);
        if (*m.answer > 0)
            out += fmt::format("; {} does not", candidate_text(m.candidates[*m.answer - 1]));
    } else if (m.undecided) {
        const ThresholdCandidate& c = m.candidates.back();
        out += fmt::format(
            "cannot tell with {} seeds: the largest candidate, {}, is within the seed noise of "
            "the tolerance",
            seeds, candidate_text(c));
        if (m.seeds_needed > 0)
            out += fmt::format("; about {} seeds would resolve it", m.seeds_needed);
        else
            out += "; its mean degradation is at or beyond the tolerance: try larger candidates";
    } else {
        const ThresholdCandidate& c = m.candidates.back();
        out += fmt::format(
            "none of the candidates suffices; the largest, {}, degrades {} beyond the tolerance "
            "from generation {}",
            candidate_text(c), m.metric.name, c.first_beyond);
    }
    return out + "\n";
}

}  // namespace

std::string format_threshold(const ThresholdResult& r) {
    const ThresholdOptions& o = r.options;
    const int G = r.generations;
    std::string tol = o.relative ? fmt::format("{:g}% of the baseline", 100.0 * o.tolerance)
                                 : fmt::format("{:g} (absolute)", o.tolerance);
    std::string names;
    for (const auto& m : r.metrics)
        names += fmt::format("{}{} ({} is better)", names.empty() ? "" : ", ", m.metric.name,
                             m.metric.lower_is_better ? "lower" : "higher");
    std::string out = fmt::format(
        "threshold: setting \"{}\", metric{} {}, tolerance {}; {} seeds, generations 1..{}\n",
        r.setting, r.metrics.size() > 1 ? "s" : "", names, tol, r.seeds, G);
    for (const auto& m : r.metrics) out += answer_line(m, G, r.seeds);
    for (const auto& m : r.metrics) {
        out += fmt::format(
            "\n{}: baseline (generation 0, real data only) {}; allowed degradation {}\n",
            m.metric.name, fmt_est(m.baseline), fmt_num(m.allowed));
        if (m.noise_exceeds_tolerance)
            out += fmt::format(
                "note: the seed noise of the baseline (95% half-width {}) is larger than the "
                "allowed degradation {}: with {} seeds only candidates clearly better than "
                "generation 0 can be shown to pass{}\n",
                fmt_num(m.baseline_noise), fmt_num(m.allowed), r.seeds,
                m.baseline_seeds > 0
                    ? fmt::format("; about {} seeds would bring the baseline's noise within it",
                                  m.baseline_seeds)
                    : "");
        if (m.non_monotone)
            out +=
                "note: non-monotone: a smaller candidate passes too (noise); more seeds "
                "would settle it\n";
        out += fmt::format("  {:>12}  {:>9}  {:<30}  {:<30}  {}\n", "n_real_fresh", "real_frac",
                           fmt::format("{} at gen {} [95%]", m.metric.name, G),
                           "worst degradation [95%] (gen)", "result");
        for (const auto& c : m.candidates) {
            const ThresholdGeneration* worst = nullptr;
            for (const auto& g : c.generations)
                if (g.generation >= 1 &&
                    (!worst || !(g.degradation.ci95_high <= worst->degradation.ci95_high)))
                    worst = &g;
            const std::string worst_text =
                worst ? fmt::format("{} ({})", fmt_est(worst->degradation), worst->generation)
                      : "-";
            std::string verdict = "pass";
            if (c.result == CandidateResult::kFail)
                verdict = fmt::format("fail at gen {}", c.first_beyond);
            if (c.result == CandidateResult::kInconclusive)
                verdict = fmt::format("inconclusive from gen {}", c.first_failure);
            out += fmt::format("  {:>12}  {:>9.3g}  {:<30}  {:<30}  {}{}\n", c.n_real_fresh,
                               c.real_fraction, fmt_est(c.generations.back().value), worst_text,
                               verdict, c.refined ? " (refined)" : "");
        }
    }
    if (o.ess) {
        out += fmt::format(
            "\neffective sample size (Alemohammad et al. 2023): fresh-data loop with "
            "n_real_fresh = {}, generations 0..{}, limit = mean of the last {}\n",
            r.ess_n_real_fresh, r.ess_generations, r.limit_generations);
        for (const auto& m : r.metrics) {
            out += "real data only: m -> " + m.metric.name + "\n";
            for (const auto& p : m.real_curve)
                out += fmt::format("  {:>10}  {}\n", p.m, fmt_est(p.value));
            out += fmt::format("  {:>11}  {:<30}  {:<28}  {}\n", "n_synthetic",
                               fmt::format("limit of {} [95%]", m.metric.name), "n_e [95%]",
                               "n_e / n_real_fresh");
            for (const auto& p : m.ess) {
                const std::string ne =
                    std::isfinite(p.n_e)
                        ? fmt::format("{:.4g} [{:.4g}, {:.4g}]", p.n_e, p.n_e_low, p.n_e_high)
                        : "-";
                std::string note;
                if (p.clamped == "below") note = " (n_e below the grid: clamped)";
                if (p.clamped == "above") note = " (n_e above the grid: clamped)";
                out += fmt::format("  {:>11}  {:<30}  {:<28}  {}{}\n", p.n_synthetic,
                                   fmt_est(p.limit), ne, fmt_num(p.ratio), note);
            }
        }
    }
    return out;
}

namespace {

nlohmann::json metric_to_json(const ThresholdMetricResult& m, const ThresholdOptions& o) {
    nlohmann::json j;
    j["metric"] = m.metric.name;
    j["lower_is_better"] = m.metric.lower_is_better;
    j["baseline"] = to_json(m.baseline);
    j["baseline_noise"] = json_number(m.baseline_noise);
    j["noise_exceeds_tolerance"] = m.noise_exceeds_tolerance;
    j["baseline_seeds"] =
        m.baseline_seeds > 0 ? nlohmann::json(m.baseline_seeds) : nlohmann::json();
    j["allowed_degradation"] = json_number(m.allowed);
    j["status"] = m.answer ? "answer" : m.undecided ? "undecided" : "none";
    j["seeds_needed"] = m.seeds_needed > 0 ? nlohmann::json(m.seeds_needed) : nlohmann::json();
    j["answer_n_real_fresh"] =
        m.answer ? nlohmann::json(m.candidates[*m.answer].n_real_fresh) : nlohmann::json();
    j["answer_real_fraction"] =
        m.answer ? json_number(m.candidates[*m.answer].real_fraction) : nlohmann::json();
    j["answer_candidate_fraction"] =
        m.answer && std::isfinite(m.candidates[*m.answer].candidate_fraction)
            ? json_number(m.candidates[*m.answer].candidate_fraction)
            : nlohmann::json();
    j["non_monotone"] = m.non_monotone;
    nlohmann::json candidates = nlohmann::json::array();
    for (const auto& c : m.candidates) {
        nlohmann::json cj;
        cj["n_real_fresh"] = c.n_real_fresh;
        cj["n_synthetic"] = c.n_synthetic;
        cj["candidate_fraction"] = std::isfinite(c.candidate_fraction)
                                       ? json_number(c.candidate_fraction)
                                       : nlohmann::json();
        cj["real_fraction"] = json_number(c.real_fraction);
        cj["passes"] = c.passes;
        cj["result"] = candidate_result_name(c.result);
        cj["first_failure"] =
            c.first_failure >= 0 ? nlohmann::json(c.first_failure) : nlohmann::json();
        cj["first_beyond"] =
            c.first_beyond >= 0 ? nlohmann::json(c.first_beyond) : nlohmann::json();
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
        nlohmann::json curve = nlohmann::json::array();
        for (const auto& p : m.real_curve)
            curve.push_back(
                {{"m", p.m}, {"value", to_json(p.value)}, {"monotone", json_number(p.monotone)}});
        nlohmann::json points = nlohmann::json::array();
        for (const auto& p : m.ess)
            points.push_back({{"n_synthetic", p.n_synthetic},
                              {"limit", to_json(p.limit)},
                              {"n_e", json_number(p.n_e)},
                              {"n_e_ci95_low", json_number(p.n_e_low)},
                              {"n_e_ci95_high", json_number(p.n_e_high)},
                              {"ratio", json_number(p.ratio)},
                              {"clamped", p.clamped}});
        j["effective_sample_size"] = {{"real_only_curve", curve}, {"points", points}};
    }
    return j;
}

}  // namespace

nlohmann::json threshold_to_json(const ThresholdResult& r) {
    const ThresholdOptions& o = r.options;
    // The top level is the primary metric's answer (as before several metrics were analysed);
    // "metrics" has every metric's.
    nlohmann::json j = metric_to_json(r.primary(), o);
    j["setting"] = r.setting;
    j["tolerance"] = o.tolerance;
    j["tolerance_kind"] = o.relative ? "relative" : "absolute";
    j["candidates_as"] = o.real_fractions.empty() ? "n_real_fresh" : "real_fraction";
    j["generations"] = r.generations;
    j["seeds"] = r.seeds;
    if (o.ess) {
        j["effective_sample_size"]["n_real_fresh"] = r.ess_n_real_fresh;
        j["effective_sample_size"]["generations"] = r.ess_generations;
        j["effective_sample_size"]["limit_generations"] = r.limit_generations;
    }
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& m : r.metrics) metrics.push_back(metric_to_json(m, o));
    j["metrics"] = metrics;
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
    // --quiet keeps the answer lines only.
    std::size_t begin = 0;
    while ((begin = output.text.find("answer (", begin)) != std::string::npos) {
        const std::size_t end = output.text.find('\n', begin);
        output.quiet_text += output.text.substr(begin, end - begin + 1);
        begin = end;
    }
    return output;
}

}  // namespace madlab
