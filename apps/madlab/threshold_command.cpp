#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "madlab/report/html_report.h"
#include "madlab/study/study_config.h"
#include "madlab/study/threshold.h"

namespace madlab::cli {

namespace {

struct ThresholdArguments {
    std::string study_file;
    std::string out_dir;
    int threads = -1;
    bool quiet = false;
};

}  // namespace

// `madlab threshold STUDY.toml [--out DIR] [--threads N] [--quiet]`
Action add_threshold_command(CLI::App& app) {
    auto args = std::make_shared<ThresholdArguments>();
    CLI::App* cmd = app.add_subcommand(
        "threshold",
        "How much fresh real data is enough: for the study's (first or [threshold] setting =)\n"
        "setting, find the smallest n_real_fresh whose metric stays within the tolerance of\n"
        "the real-only generation 0 at every generation, with 95% confidence, and the effective\n"
        "sample size n_e of the fresh-data loop (Alemohammad et al. 2023) over n_synthetic.\n"
        "Keys: [threshold] in docs/analyses.md. Writes DIR/threshold.json, DIR/records.csv and\n"
        "DIR/report.html.");
    cmd->add_option("study", args->study_file, "Study config (TOML); see docs/analyses.md")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--out,-o", args->out_dir,
                    "Output folder (default: madlab-results/<study name>-threshold)");
    cmd->add_option("--threads,-j", args->threads,
                    "Threads for the chains (default: study.threads, 0 = all cores); results "
                    "do not depend on it")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--quiet,-q", args->quiet, "No progress bar; only the answer");

    return [args]() -> int {
        const StudyConfig study = load_study(args->study_file);
        const ThresholdOptions options = read_threshold_options(study);
        const std::string out =
            args->out_dir.empty() ? "madlab-results/" + study.name + "-threshold" : args->out_dir;
        RunOptions run;
        run.threads = args->threads;
        run.progress = !args->quiet;
        const ThresholdResult result = run_threshold(study, options, run);
        write_threshold_outputs(out, study, result);
        const std::string report = format_threshold(result);
        if (args->quiet) {
            // The answer line only.
            const auto begin = report.find("answer:");
            fmt::print("{}", report.substr(begin, report.find('\n', begin) - begin + 1));
        } else {
            fmt::print("{}\n", report);
        }
        fmt::print("results: {}/threshold.json, {}/records.csv ({:.1f} s)\n", out, out,
                   result.seconds);
        fmt::print("report: {}\n", write_report(out));
        return 0;
    };
}

}  // namespace madlab::cli
