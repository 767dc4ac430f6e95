#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "madlab/report/html_report.h"
#include "madlab/study/decompose.h"
#include "madlab/study/study_config.h"

namespace madlab::cli {

namespace {

struct DecomposeArguments {
    std::string study_file;
    std::string out_dir;
    int threads = -1;
    bool quiet = false;
};

}  // namespace

// `madlab decompose STUDY.toml [--out DIR] [--threads N] [--quiet]`
Action add_decompose_command(CLI::App& app) {
    auto args = std::make_shared<DecomposeArguments>();
    CLI::App* cmd = app.add_subcommand(
        "decompose",
        "Which error is it: run the study's (first or [decompose] setting =) setting as three\n"
        "variants with the same seeds (the configured family at n, a well-specified family at\n"
        "n, the configured family at a large n) and report per generation how much of the\n"
        "metric's degradation is statistical and how much functional (SCIENCE.md section 4).\n"
        "Keys: [decompose] in docs/analyses.md. Writes DIR/decompose.json, DIR/records.csv and\n"
        "DIR/report.html.");
    cmd->add_option("study", args->study_file, "Study config (TOML); see docs/analyses.md")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--out,-o", args->out_dir,
                    "Output folder (default: madlab-results/<study name>-decompose)");
    cmd->add_option("--threads,-j", args->threads,
                    "Threads for the chains (default: study.threads, 0 = all cores); results "
                    "do not depend on it")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--quiet,-q", args->quiet, "No progress bar and no table");

    return [args]() -> int {
        const StudyConfig study = load_study(args->study_file);
        const DecomposeOptions options = read_decompose_options(study);
        const std::string out =
            args->out_dir.empty() ? "madlab-results/" + study.name + "-decompose" : args->out_dir;
        RunOptions run;
        run.threads = args->threads;
        run.progress = !args->quiet;
        const DecomposeResult result = run_decompose(study, options, run);
        write_decompose_outputs(out, study, result);
        if (!args->quiet) fmt::print("{}\n", format_decompose(result));
        fmt::print("results: {}/decompose.json, {}/records.csv ({:.1f} s)\n", out, out,
                   result.seconds);
        fmt::print("report: {}\n", write_report(out));
        return 0;
    };
}

}  // namespace madlab::cli
