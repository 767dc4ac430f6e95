#include <memory>

#include "commands.h"
#include "madlab/study/decompose.h"

namespace madlab::cli {

// `madlab decompose STUDY.toml [--out DIR] [--threads N] [--quiet]`
Action add_decompose_command(CLI::App& app) {
    return add_analysis_command(
        app, std::make_shared<DecomposeAnalysis>(),
        "Which error is it: run the study's (first or [decompose] setting =) setting as three\n"
        "variants with the same seeds (the configured family at n, a well-specified family at\n"
        "n, the configured family at a large n) and report per generation how much of the\n"
        "metric's degradation is statistical and how much functional (SCIENCE.md section 4).\n"
        "Keys: [decompose] in docs/analyses.md. Writes DIR/decompose.json, DIR/records.csv and\n"
        "DIR/report.html.",
        "No progress bar and no table");
}

}  // namespace madlab::cli
