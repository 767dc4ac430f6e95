#include <memory>

#include "commands.h"
#include "madlab/study/threshold.h"

namespace madlab::cli {

// `madlab threshold STUDY.toml [--out DIR] [--threads N] [--quiet]`
Action add_threshold_command(CLI::App& app) {
    return add_analysis_command(
        app, std::make_shared<ThresholdAnalysis>(),
        "How much fresh real data is enough: for the study's (first or [threshold] setting =)\n"
        "setting, find the smallest n_real_fresh whose metric stays within the tolerance of\n"
        "the real-only generation 0 at every generation, with 95% confidence, and the effective\n"
        "sample size n_e of the fresh-data loop (Alemohammad et al. 2023) over n_synthetic.\n"
        "Keys: [threshold] in docs/analyses.md. Writes DIR/threshold.json, DIR/records.csv and\n"
        "DIR/report.html.",
        "No progress bar; only the answer");
}

}  // namespace madlab::cli
