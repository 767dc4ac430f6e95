#include <fmt/core.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command_line.h"
#include "commands.h"
#include "madlab/report/html_reporter.h"
#include "madlab/store/reporter.h"
#include "madlab/store/run_folder.h"
#include "madlab/study/analysis.h"
#include "madlab/study/study_config.h"

namespace madlab::cli {

namespace {

struct AnalysisArguments {
    std::string study_file;
    std::string out_dir;
    std::vector<std::string> set;  // --set KEY=VALUE, in order
    int threads = -1;
    bool quiet = false;
};

}  // namespace

Action add_analysis_command(CLI::App& app, std::shared_ptr<Analysis> analysis,
                            const std::string& description, const std::string& quiet_help) {
    auto args = std::make_shared<AnalysisArguments>();
    const std::string name = analysis->name();
    CLI::App* cmd = app.add_subcommand(name, description);
    cmd->add_option("study", args->study_file, "Study config (TOML); see docs/analyses.md")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--out,-o", args->out_dir,
                    fmt::format("Output folder (default: madlab-results/<study name>-{})", name));
    add_set_option(*cmd, args->set, "DIR/config.toml");
    cmd->add_option("--threads,-j", args->threads,
                    "Threads for the chains (default: study.threads, 0 = all cores); results "
                    "do not depend on it")
        ->check(whole_number(0));
    cmd->add_flag("--quiet,-q", args->quiet, quiet_help);

    return [args, analysis, name]() -> int {
        const StudyConfig study = load_study(args->study_file, args->set);
        RunOptions run;
        run.threads = args->threads;
        run.progress = !args->quiet;
        const StudyOutput output = run_analysis(*analysis, study, run);
        const RunFolder folder(args->out_dir.empty() ? RunFolder::default_dir(study.name, name)
                                                     : args->out_dir);
        Reporters reporters = analysis_file_reporters(folder);
        reporters.push_back(std::make_unique<ConsoleReporter>(std::cout, folder, args->quiet));
        reporters.push_back(std::make_unique<HtmlReporter>(std::cout, folder));
        report_all(reporters, output);
        return 0;
    };
}

}  // namespace madlab::cli
