#pragma once
// `madlab decompose`: which error makes the loop degrade, statistical or functional
// (SCIENCE.md section 4; Shumailov et al., "The Curse of Recursion", arXiv 2305.17493, section 3,
// and Nature 631, 2024). The analysed setting runs as three variants with identical seeds
// (common random numbers) and the same loop design, sampling bias and metrics:
//
//   total        the configured family F at the configured sizes (schedule.n = n)
//   statistical  a well-specified family W at n: no functional error, only sampling noise
//   functional   F at a large size N: the sampling noise (almost) vanishes
//
// plus a reference, W at N, generation 0 only: the closest the lab gets to the real
// distribution (the right family fitted to N real points). The reference, not the ideal value
// of the metric, is the zero of every degradation, so that the metric's own finite-sample bias
// at fixed N_test and M (SCIENCE.md section 6: n_eval and n_test are not scaled) cancels.
// "At size N" multiplies every size of the schedule (n_real_initial, n_synthetic,
// n_real_fixed, n_real_fresh, subsample) by N / n, keeping the loop design's proportions.
//
// For seed s and generation t, D_X(s, t) = sign * (m_X(s, t) - m_ref(s, 0)), sign = +1 where
// lower is better, -1 where higher is better (> 0: worse than the reference). Per generation
// the result holds, over seeds (mean and 95% interval, paired Student t):
//   total D_F,n;  statistical D_W,n;  functional D_F,N;
//   interaction = total - statistical - functional (what the two parts do together),
// and the shares statistical / total, functional / total, interaction / total (of the means;
// undefined when the mean total is <= 0). Each part is an estimate: D_W,n keeps the
// functional error of W's learning procedure (e.g. EM's local optima), D_F,N keeps the
// statistical error left at size N (shrinking like 1/N for a parametric family).
//
// Defaults for W: gaussian for a gaussian source; gmm with the true number of components for
// grid25 (25), ring8 (8) and two-gaussians (2). For csv and npy sources the user names it
// (decompose.family, decompose.components); madlab cannot know the right family for a file.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "madlab/store/record.h"
#include "madlab/study/analysis.h"  // AnalysisMetric, Estimate, analysis_setting
#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab {

struct DecomposeOptions {
    std::string setting;             // decompose.setting: "" = the first setting
    std::string metric = "frechet";  // decompose.metric
    bool lower_is_better = true;     // from the metric
    std::size_t large_n = 0;         // decompose.large_n: default max(20000, 10 * schedule.n)
    ModelConfig well_specified;      // decompose.family / components / n_init, resolved
};

// Reads and validates the [decompose] keys of study.analysis (docs/analyses.md). Throws
// ConfigError naming the file, line and key for a bad value or an unknown key (with the closest
// valid key), when large_n <= schedule.n, and when a csv/npy source has no decompose.family.
DecomposeOptions read_decompose_options(const StudyConfig& study);

// The well-specified model for a built-in source kind: `configured` (its bias and, for the same
// family, its options) with the family (and gmm components) of the file comment; family ""
// for csv and npy sources.
ModelConfig default_well_specified(const SourceConfig& source, const ModelConfig& configured);

// The chain configuration with every schedule size multiplied by large_n / config.n (rounded,
// a non-zero size stays >= 1); config.n becomes large_n.
ChainConfig scaled_to(const ChainConfig& config, std::size_t large_n);

struct DecomposeRow {
    int generation = 0;
    Estimate total, statistical, functional, interaction;
    // Shares of the mean total; NaN when the mean total is <= 0.
    double share_statistical = 0.0, share_functional = 0.0, share_interaction = 0.0;
};

struct DecomposeResult {
    DecomposeOptions options;
    std::string setting;
    int generations = 0;
    int seeds = 0;
    std::size_t n = 0;                           // the configured schedule.n
    std::string total_model, statistical_model;  // e.g. "gaussian", "gmm(25)"
    Estimate reference;                          // m_ref(s, 0) over seeds
    std::vector<DecomposeRow> rows;              // generations 0..G
    std::vector<Record> records;                 // settings "total", "statistical", "functional",
                                                 // "reference"
    double seconds = 0.0;
};

// Runs the three variants and the reference (see the file comment). Results do not depend on
// the thread count.
DecomposeResult run_decompose(const StudyConfig& study, const DecomposeOptions& options,
                              const RunOptions& run = {});

// The terminal table: per generation the three parts, the interaction and the shares.
std::string format_decompose(const DecomposeResult& result);

nlohmann::json decompose_to_json(const DecomposeResult& result);

// Writes DIR/decompose.json and DIR/records.csv (creating DIR), each atomically.
void write_decompose_outputs(const std::string& dir, const StudyConfig& study,
                             const DecomposeResult& result);

// `madlab decompose` for the analysis driver (study/analysis.h): read_decompose_options, then
// run_decompose, decompose_to_json and format_decompose (--quiet prints none of it).
class DecomposeAnalysis : public Analysis {
public:
    std::string name() const override;
    void read_options(const StudyConfig& study) override;
    StudyOutput run(const StudyConfig& study, const RunOptions& run) const override;

private:
    DecomposeOptions options_;
};

}  // namespace madlab
