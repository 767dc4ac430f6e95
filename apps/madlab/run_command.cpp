#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab::cli {

namespace {

struct RunArguments {
    std::string study_file;
    std::string out_dir;
    int threads = -1;
    bool quiet = false;
};

}  // namespace

Action add_run_command(CLI::App& app) {
    auto args = std::make_shared<RunArguments>();
    CLI::App* run = app.add_subcommand(
        "run",
        "Run a study: every setting x seed chain for the configured generations.\n"
        "Without STUDY.toml, runs the default study (GMM on the 25-mode grid under the four loop\n"
        "designs). Writes DIR/records.csv, DIR/summary.json and DIR/config.toml and prints a\n"
        "summary table.");
    run->add_option("study", args->study_file, "Study config (TOML); see docs/config.md")
        ->check(CLI::ExistingFile);
    run->add_option("--out,-o", args->out_dir,
                    "Output folder (default: madlab-results/<study name>)");
    run->add_option("--threads,-j", args->threads,
                    "Threads for the chains (default: study.threads, 0 = all cores); results "
                    "do not depend on it")
        ->check(CLI::NonNegativeNumber);
    run->add_flag("--quiet,-q", args->quiet, "No progress bar and no summary table");

    return [args]() -> int {
        const StudyConfig study = args->study_file.empty()
                                      ? parse_study(default_study_toml(), "<default study>")
                                      : load_study(args->study_file);
        const std::string out =
            args->out_dir.empty() ? "madlab-results/" + study.name : args->out_dir;
        RunOptions options;
        options.threads = args->threads;
        options.progress = !args->quiet;
        const StudyResult result = run_study(study, options);
        write_study_outputs(out, study, result);
        if (!args->quiet) fmt::print("{}\n", format_summary_table(study, result.summary));
        fmt::print("results: {}/records.csv, {}/summary.json ({:.1f} s)\n", out, out,
                   result.seconds);
        return 0;
    };
}

}  // namespace madlab::cli
