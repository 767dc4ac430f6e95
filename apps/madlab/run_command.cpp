#include <fmt/core.h>

#include <memory>
#include <optional>

#include "command_line.h"
#include "commands.h"
#include "madlab/cluster/mpi_context.h"
#include "madlab/core/stop_signals.h"
#include "madlab/session/run_session.h"
#include "madlab/store/run_folder.h"
#include "madlab/store/shard.h"
#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab::cli {

namespace {

struct RunArguments {
    std::string study_file;
    std::string out_dir;
    std::string db_path;
    std::string resume_dir;
    std::string shard;
    std::vector<std::string> set;  // --set KEY=VALUE, in order
    int threads = -1;
    bool quiet = false;
    bool no_db = false;
    bool no_report = false;
    bool keep_checkpoints = false;
};

// Runs the study the arguments name, or resumes the folder of --resume.
void run_or_resume(const RunArguments* args, SessionOptions options) {
    if (!args->resume_dir.empty()) {
        // Rank 0 alone: a worker on another machine cannot tell whether its pids run.
        if (!is_mpi_worker()) RunFolder(args->resume_dir).remove_stale_temporaries();
        resume_session(args->resume_dir, options);
        return;
    }
    options.out_dir = args->out_dir;
    options.db_path = args->db_path;
    if (!args->db_path.empty()) check_output_file("--db", args->db_path);
    options.no_db = args->no_db;
    if (!args->shard.empty()) options.shard = parse_shard(args->shard, "--shard");
    // A worker rank of an MPI run reads no file: run_session gets the study from rank 0.
    const StudyConfig study = is_mpi_worker() ? StudyConfig{}
                              : args->study_file.empty()
                                  ? parse_study(default_study_toml(), "<default study>", args->set)
                                  : load_study(args->study_file, args->set);
    // The default folder here, not in run_session: madlab-results/<study's safe name>.
    if (!is_mpi_worker() && options.out_dir.empty())
        options.out_dir = RunFolder::default_dir(study.name);
    run_session(study, options);
}

}  // namespace

Action add_run_command(CLI::App& app) {
    auto args = std::make_shared<RunArguments>();
    CLI::App* run = app.add_subcommand(
        "run",
        "Run a study: every setting x seed chain for the configured generations.\n"
        "Without STUDY.toml, runs the default study (GMM on the 25-mode grid under the four loop\n"
        "designs). Every finished generation is committed to a SQLite database with the chain's\n"
        "checkpoint, so a killed run continues with --resume. At the end it writes\n"
        "DIR/records.csv, DIR/summary.json, DIR/config.toml and the page DIR/report.html and\n"
        "prints a summary table.");
    run->add_option("study", args->study_file, "Study config (TOML); see docs/config.md")
        ->check(CLI::ExistingFile);
    run->add_option("--out,-o", args->out_dir,
                    "Output folder (default: madlab-results/<study name>)");
    run->add_option("--db", args->db_path,
                    "Results database to add the study to (default: DIR/results.sqlite); "
                    "several studies may share one");
    run->add_option("--resume", args->resume_dir,
                    "Continue the killed or interrupted run whose output folder is DIR, from its "
                    "last committed generation; the records end identical to an uninterrupted run")
        ->excludes(run->get_option("study"))
        ->excludes(run->get_option("--out"))
        ->excludes(run->get_option("--db"));
    run->add_flag("--no-db", args->no_db,
                  "Write only the files (the records pass through a scratch database, deleted at "
                  "the end): faster for many short chains, but a killed run cannot be resumed")
        ->excludes(run->get_option("--db"))
        ->excludes(run->get_option("--resume"));
    run->add_option("--shard", args->shard,
                    "Run only shard K of N (K/N, K from 0): every N-th chain, into the output "
                    "folder's own database; `madlab merge` combines the N shards into the run of "
                    "the whole study (for clusters without MPI; see docs/cluster.md)")
        ->excludes(run->get_option("--resume"))
        ->excludes(run->get_option("--no-db"));
    add_set_option(*run, args->set, "DIR/config.toml")->excludes(run->get_option("--resume"));
    run->add_option("--threads,-j", args->threads,
                    "Threads for the chains (default: study.threads, 0 = all cores); results "
                    "do not depend on it")
        ->check(whole_number(0));
    run->add_flag("--quiet,-q", args->quiet, "No progress bar and no summary table");
    run->add_flag("--keep-checkpoints", args->keep_checkpoints,
                  "Keep the chains' checkpoints in the database when the study finishes (by "
                  "default they are deleted and the file compacted: they serve only to resume)")
        ->excludes(run->get_option("--no-db"));
    run->add_flag("--no-report", args->no_report,
                  "Do not write DIR/report.html (`madlab report DIR` writes it later)");

    return [args]() -> int {
        SessionOptions options;
        options.threads = args->threads;
        options.quiet = args->quiet;
        options.no_report = args->no_report;
        options.keep_checkpoints = args->keep_checkpoints;
        // SIGINT / SIGTERM stop the chains after their current generation and end the external
        // commands (core/stop_signals.h); the run then says how to resume and exits 128 +
        // signal (130 for Ctrl-C). Under MPI the coordinator catches them itself
        // (cluster/mpi_executor.h).
        std::optional<StopOnSignals> signals;
        if (mpi_world().size == 1) {
            signals.emplace();
            options.stop = &signals->requested();
        }
        try {
            run_or_resume(args.get(), options);
        } catch (const Interrupted& e) {
            if (!signals || signals->signal() == 0) throw;
            fmt::print(stderr, "madlab: interrupted by {}: {}\n", signals->signal_name(), e.what());
            return signals->exit_code();
        }
        return 0;
    };
}

}  // namespace madlab::cli
