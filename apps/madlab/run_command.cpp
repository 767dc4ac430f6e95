#include <fmt/core.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.h"
#include "madlab/core/error.h"
#include "madlab/report/html_reporter.h"
#include "madlab/store/reporter.h"
#include "madlab/store/results_db.h"
#include "madlab/store/run_folder.h"
#include "madlab/study/resolved_config.h"
#include "madlab/study/study_config.h"
#include "madlab/study/study_output.h"
#include "madlab/study/study_runner.h"

namespace madlab::cli {

namespace {

struct RunArguments {
    std::string study_file;
    std::string out_dir;
    std::string db_path;
    std::string resume_dir;
    int threads = -1;
    bool quiet = false;
    bool no_db = false;
    bool no_report = false;
};

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
                  "Keep records in memory and write only the files: faster for many short "
                  "chains, but a killed run cannot be resumed")
        ->excludes(run->get_option("--db"))
        ->excludes(run->get_option("--resume"));
    run->add_option("--threads,-j", args->threads,
                    "Threads for the chains (default: study.threads, 0 = all cores); results "
                    "do not depend on it")
        ->check(CLI::NonNegativeNumber);
    run->add_flag("--quiet,-q", args->quiet, "No progress bar and no summary table");
    run->add_flag("--no-report", args->no_report,
                  "Do not write DIR/report.html (`madlab report DIR` writes it later)");

    return [args]() -> int {
        StudyConfig study;
        std::string out;
        std::unique_ptr<ResultsDb> db;
        StudyIds ids;
        if (!args->resume_dir.empty()) {
            out = args->resume_dir;
            const auto link = RunFolder(out).read_run_link();
            if (!link)
                throw ConfigError(
                    fmt::format("--resume {}: no {} there; resume a folder that a "
                                "`madlab run --out` wrote",
                                out, RunFolder(out).path(RunFolder::kRun)));
            const auto [db_path, study_id] = *link;
            if (!std::filesystem::exists(db_path))
                throw DataError(
                    fmt::format("--resume {}: its database '{}' does not exist; was it "
                                "moved or deleted?",
                                out, db_path));
            db = ResultsDb::open(db_path, ResultsDb::Mode::kReadWrite);
            const auto row = db->study(study_id);
            if (!row)
                throw DataError(
                    fmt::format("study {} is not in '{}'; the run folder and the "
                                "database do not belong together",
                                study_id, db_path));
            study = parse_study(row->config_toml,
                                db_path + " (study " + std::to_string(study_id) + ")");
            ids = find_study(*db, study_id, study);
            db->set_study_status(study_id, "running");
        } else {
            study = args->study_file.empty() ? parse_study(default_study_toml(), "<default study>")
                                             : load_study(args->study_file);
            out = args->out_dir.empty() ? "madlab-results/" + study.name : args->out_dir;
            check_study_inputs(study);  // fail on bad data before writing anything
            std::error_code ec;
            std::filesystem::create_directories(out, ec);
            if (ec)
                throw ConfigError(
                    fmt::format("--out {}: cannot create the output folder ({}); "
                                "give a folder you can write to",
                                out, ec.message()));
            if (!args->no_db) {
                const std::string db_path = args->db_path.empty()
                                                ? RunFolder(out).path(RunFolder::kDatabase)
                                                : args->db_path;
                db = ResultsDb::open(db_path, ResultsDb::Mode::kReadWrite);
                ids = register_study(*db, study);
                RunFolder(out).write_run_link(db_path, ids.study_id);
            }
            // The config is there from the start, so that the folder of a killed run says what
            // ran; the TOML reporter writes it again at the end.
            RunFolder(out).write_config(to_toml(study));
        }
        RunOptions options;
        options.threads = args->threads;
        options.progress = !args->quiet;
        options.work_dir = out;  // the external family keeps its files under DIR/external
        StudyResult result;
        try {
            result = run_study(study, options, db.get(), db ? &ids : nullptr);
        } catch (...) {
            if (db) db->set_study_status(ids.study_id, "failed");
            throw;
        }
        const RunFolder folder(out);
        Reporters reporters = study_file_reporters(folder);
        reporters.push_back(std::make_unique<ConsoleReporter>(std::cout, folder, args->quiet));
        if (!args->no_report)
            reporters.push_back(std::make_unique<HtmlReporter>(std::cout, folder));
        report_all(reporters,
                   study_output(study, std::move(result), db ? db->path() : std::string()));
        return 0;
    };
}

}  // namespace madlab::cli
