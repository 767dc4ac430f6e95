#pragma once
// `madlab threshold`: how much fresh real data keeps a self-consuming loop from degrading
// (SCIENCE.md sections 1 and 5), and the effective sample size of Alemohammad et al. (2023).
//
// 1. The threshold search. For the analysed setting (its model, source, sampling bias and
//    schedule), run the loop once per candidate n_real_fresh (the schedule's other sizes are
//    kept), generations 0..G = study.generations, seeds s = 1..S = study.seeds (S >= 2).
//    - Baseline: generation 0 of the same chain, trained on real data only (n_real_initial
//      points). Generation 0 does not depend on n_real_fresh (common random numbers, chain.h),
//      so all candidates share one baseline, seed by seed: B_s = m_s(0), B = mean_s B_s.
//    - Degradation of seed s at generation t: d_s(t) = sign * (m_s(t) - B_s), sign = +1 for a
//      metric where lower is better (frechet, nll, mean_sq_err) and -1 where higher is better
//      (precision, recall, density, coverage); > 0 means worse than the baseline.
//    - Criterion: a candidate passes when, at every generation t = 1..G, the upper bound of the
//      95% interval of the mean degradation, mean_s d_s(t) + t_{0.975,S-1} sd_s(d(t)) / sqrt(S)
//      (paired Student t, store/summary.h), is <= the allowed degradation A: tolerance * |B|
//      (relative, the default) or tolerance itself (absolute). Passing says: with 95%
//      confidence at each generation the loop stays within the tolerance of the real-only
//      model. (The G intervals are not adjusted for multiplicity: the criterion is pointwise.)
//    - Candidates are n_real_fresh values (threshold.candidates), or real fractions f of each
//      generation's new data (threshold.real_fractions, the question of He et al. 2025 asked as
//      a weight on real data): with N = n_real_fresh + n_synthetic of the setting (schedule.n
//      when both are 0) a fraction f runs n_real_fresh = round(f N), n_synthetic = N - that.
//    - Every analysed metric (threshold.metrics; default: every analysable metric the setting
//      records) gets its own baseline, tolerance and answer: different metrics need different
//      amounts of real data. The runs are shared; each metric is judged on the same records.
//    - A candidate passes (every generation's upper bound <= A), fails (some generation's lower
//      bound > A: the degradation is surely larger than the tolerance) or is inconclusive (the
//      interval straddles A: the seeds cannot tell).
//    - Answer: the smallest passing candidate above which every candidate passes too (noise can
//      make a smaller candidate pass by luck; the result then says "non-monotone"). With
//      `refine` > 0, the gap between the largest failing and the smallest passing candidate is
//      bisected that many times (each step one more run, shared by the metrics).
//    - When no candidate passes and the largest is inconclusive, the answer is "undecided", with
//      the number of seeds that would resolve it: the smallest S with
//      (t_{0.975,S-1} + z_{0.8}) sd / sqrt(S) <= A - max(0, m), where m is the largest
//      candidate's mean degradation averaged over generations 1..G and sd the root mean square
//      of its standard deviation over seeds per generation (80% power to pass one generation
//      if its true degradation is m; the pointwise criterion over G generations needs a few
//      more). The report also says when the noise of the baseline alone (the 95% half-width of
//      mean B) exceeds A.
// 2. The effective sample size n_e (Alemohammad et al., "Self-Consuming Generative Models Go
//    MAD", ICLR 2024, section on the fresh data loop; SCIENCE.md section 5): the number of real
//    samples alone that gives a model as close to the real distribution as the fresh-data loop
//    in its limit. For each n_synthetic in ess_n_synthetic, run the fresh-data loop (n_real_fresh
//    = ess_n_real_fresh new real points + n_synthetic samples of the last model(s), replace,
//    no fixed real set) for ess_generations; its limiting value L is the mean over seeds of each
//    seed's mean over the last limit_generations generations. Separately, fit the model on m
//    real points (generation 0 only) for every m in ess_real_sizes, ess_real_seeds seeds each:
//    the real-only curve f(m) = E[metric]. n_e = f^{-1}(L), by linear interpolation in
//    (log m, log f) between neighbouring grid points (in (log m, f) if some f <= 0), after
//    making f monotone in the metric's better direction (pool-adjacent-violators). Outside the
//    grid n_e is clamped to its ends and flagged. The interval of n_e maps the 95% interval of
//    L through the same curve (the curve's own noise is not included). Synthetic data helps
//    where n_e / n_real_fresh > 1; for bias < 1 the ratio rises and then falls past a threshold
//    of n_synthetic (the phase transition), for bias = 1 it does not fall.
//
// The runs compute only the metric groups the analysed metrics need (frechet, prdc, nll,
// gaussian_drift...), plus train_size and real_fraction. With a Gaussian model on a Gaussian
// source, frechet is the exact squared 2-Wasserstein distance of the fitted model: cheap and
// free of evaluation-sample noise.

#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "madlab/store/record.h"
#include "madlab/study/analysis.h"
#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab {

// ---- threshold ----

struct ThresholdOptions {
    std::string setting;  // threshold.setting: "" = the first setting
    // threshold.metrics (or threshold.metric, one): the analysed metrics, the first the primary
    // one (threshold.json's top-level answer). Default: every metric of analysis_metrics() that
    // the setting's metrics.list computes and that applies; frechet when there is none.
    std::vector<AnalysisMetric> metrics;
    double tolerance = 0.1;               // threshold.tolerance
    bool relative = true;                 // threshold.tolerance_kind = "relative" | "absolute"
    std::vector<std::size_t> candidates;  // threshold.candidates (sorted, distinct); default
                                          // n * {0, 1/32, 1/16, 1/8, 1/4, 1/2, 1}, n = schedule.n
    // threshold.real_fractions (sorted, distinct, in [0, 1]): candidates as real fractions of
    // the new data of each generation instead of n_real_fresh values; empty = not used.
    std::vector<double> real_fractions;
    std::size_t new_per_generation = 0;        // N of the real fractions (see the file comment)
    int refine = 2;                            // threshold.refine: bisection steps after the grid
    bool ess = true;                           // threshold.ess: compute n_e
    std::size_t ess_n_real_fresh = 0;          // threshold.ess_n_real_fresh; default: the
                                               // setting's n_real_fresh, or schedule.n if that is 0
    std::vector<std::size_t> ess_n_synthetic;  // default r * {0, 1/4, 1/2, 1, 2, 4, 8}
    std::vector<std::size_t> ess_real_sizes;   // default r * 2^k, k = -4..5 (at least d + 2)
    int ess_generations = 0;                   // default study.generations
    int limit_generations = 0;                 // default max(1, ess_generations / 4)
    int ess_real_seeds = 0;                    // default 4 * study.seeds
};

// Reads and validates the [threshold] keys of study.analysis (docs/analyses.md). Throws
// ConfigError naming the file, line and key for a bad value or an unknown key (with the closest
// valid key), and when study.seeds < 2 (no interval can be stated).
ThresholdOptions read_threshold_options(const StudyConfig& study);

// One generation of one candidate.
struct ThresholdGeneration {
    int generation = 0;
    Estimate value;               // the metric over seeds
    Estimate degradation;         // sign * (m_s(t) - B_s) over seeds
    double degradation_sd = 0.0;  // its standard deviation over seeds
    bool within = false;          // degradation.ci95_high <= allowed
    bool beyond = false;          // degradation.ci95_low > allowed
};

enum class CandidateResult { kPass, kFail, kInconclusive };
const char* candidate_result_name(CandidateResult r);  // "pass", "fail", "inconclusive"

struct ThresholdCandidate {
    std::size_t n_real_fresh = 0;
    std::size_t n_synthetic = 0;
    // As a real fraction candidate: f (NaN for n_real_fresh candidates).
    double candidate_fraction = std::numeric_limits<double>::quiet_NaN();
    double real_fraction = 0.0;  // mean share of real rows in generation G's training set
    bool passes = false;
    CandidateResult result = CandidateResult::kFail;
    int first_failure = -1;  // the first generation not within the tolerance, -1 if none
    int first_beyond = -1;   // the first generation surely beyond it (kFail), -1 if none
    bool refined = false;    // added by the bisection
    std::vector<ThresholdGeneration> generations;  // 0..G
};

struct EssCurvePoint {  // the real-only curve
    std::size_t m = 0;
    Estimate value;
    double monotone = 0.0;  // after pool-adjacent-violators
};

struct EssPoint {  // one fresh-data loop
    std::size_t n_synthetic = 0;
    Estimate limit;  // L: mean of the last limit_generations, over seeds
    double n_e = 0.0, n_e_low = 0.0, n_e_high = 0.0;  // n_e and the image of L's interval
    double ratio = 0.0;                               // n_e / n_real_fresh
    std::string clamped;  // "", "below" (n_e < grid) or "above" (n_e > grid)
};

// The answer for one analysed metric.
struct ThresholdMetricResult {
    AnalysisMetric metric;
    Estimate baseline;                           // B_s = generation 0 over seeds
    double allowed = 0.0;                        // A
    std::vector<ThresholdCandidate> candidates;  // by n_real_fresh
    std::optional<std::size_t> answer;           // index into candidates
    bool non_monotone = false;                   // a candidate below the answer passes
    // No candidate passes and the largest is inconclusive: more seeds would decide.
    bool undecided = false;
    int seeds_needed = 0;  // when undecided: the seeds that would resolve it (0 = no estimate)
    // The 95% half-width of mean B: the seed noise of the baseline, and whether it exceeds A.
    double baseline_noise = 0.0;
    bool noise_exceeds_tolerance = false;
    // When it does: the seeds whose half-width would be within A (0 = more than 10^7).
    int baseline_seeds = 0;
    // n_e (empty unless options.ess)
    std::vector<EssCurvePoint> real_curve;
    std::vector<EssPoint> ess;
};

struct ThresholdResult {
    ThresholdOptions options;
    std::string setting;  // the analysed setting's name
    int generations = 0;
    int seeds = 0;
    std::vector<ThresholdMetricResult> metrics;  // in options.metrics' order
    std::size_t ess_n_real_fresh = 0;
    int ess_generations = 0;
    int limit_generations = 0;
    std::vector<Record> records;  // every run's records (settings named per run)
    double seconds = 0.0;

    // The first analysed metric's answer (threshold.json's top level).
    const ThresholdMetricResult& primary() const { return metrics.front(); }
};

// The seeds that would let a candidate whose degradation has mean `mean` and standard
// deviation `sd` over seeds pass with 80% power at tolerance `allowed`: the smallest S >= 2 with
// (t_{0.975,S-1} + z_{0.8}) sd / sqrt(S) <= allowed - max(0, mean); 0 when no number of seeds
// can (mean >= allowed) or more than 10^7 would be needed. Exposed for tests.
int seeds_to_resolve(double mean, double sd, double allowed);

// Runs the search and the n_e runs (see the file comment). Results do not depend on the thread
// count.
ThresholdResult run_threshold(const StudyConfig& study, const ThresholdOptions& options,
                              const RunOptions& run = {});

// n_e for the limiting value `value` on the real-only curve (m_i ascending, f_i); see the file
// comment. `clamped` receives "", "below" or "above". Exposed for tests.
double effective_sample_size(const std::vector<std::size_t>& m, const std::vector<double>& f,
                             double value, bool lower_is_better, std::string* clamped = nullptr);

// Pool-adjacent-violators: the closest (least squares, equal weights) sequence to `f` that is
// non-increasing (lower_is_better) or non-decreasing.
std::vector<double> monotone_fit(const std::vector<double>& f, bool lower_is_better);

// The terminal report: the answer, the candidate curve, the n_e table.
std::string format_threshold(const ThresholdResult& result);

nlohmann::json threshold_to_json(const ThresholdResult& result);

// Writes DIR/threshold.json and DIR/records.csv (creating DIR), each atomically.
void write_threshold_outputs(const std::string& dir, const StudyConfig& study,
                             const ThresholdResult& result);

// `madlab threshold` for the analysis driver (study/analysis.h): read_threshold_options, then
// run_threshold, threshold_to_json and format_threshold (--quiet keeps its "answer:" line).
class ThresholdAnalysis : public Analysis {
public:
    std::string name() const override;
    void read_options(const StudyConfig& study) override;
    StudyOutput run(const StudyConfig& study, const RunOptions& run) const override;

private:
    ThresholdOptions options_;
};

}  // namespace madlab
