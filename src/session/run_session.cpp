#include "madlab/session/run_session.h"

#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "madlab/cluster/mpi_context.h"
#include "madlab/cluster/mpi_executor.h"
#include "madlab/core/error.h"
#include "madlab/report/html_reporter.h"
#include "madlab/store/reporter.h"
#include "madlab/store/results_db.h"
#include "madlab/store/run_folder.h"
#include "madlab/study/memory_estimate.h"
#include "madlab/study/resolved_config.h"
#include "madlab/study/study_output.h"
#include "madlab/study/study_runner.h"

namespace madlab {

SessionResult report_run(const StudyConfig& study, const std::string& out, const ResultsDb& db,
                         std::int64_t study_id, StudyResult result, const SessionOptions& options) {
    SessionResult session;
    session.out_dir = out;
    session.db_path = options.no_db ? std::string() : db.path();
    session.study_id = options.no_db ? 0 : study_id;
    session.seconds = result.seconds;
    std::ostream& console = options.console ? *options.console : std::cout;
    const RunFolder folder(out);
    Reporters reporters = study_file_reporters(folder);
    reporters.push_back(std::make_unique<ConsoleReporter>(console, folder, options.quiet));
    if (!options.no_report) {
        reporters.push_back(std::make_unique<HtmlReporter>(console, folder));
        session.report_path = folder.report_path();
    }
    StudyOutput output = study_output(study, std::move(result), session.db_path);
    output.records_db = &db;
    output.study_id = study_id;
    report_all(reporters, output);
    return session;
}

namespace {

// A worker rank of an MPI run (cluster/mpi_executor.h): runs the chains rank 0 hands out and
// writes nothing; ends the process with rank 0's exit code when the run failed.
SessionResult run_as_mpi_worker() {
    if (const int code = run_mpi_worker(); code != 0) throw RankExit(code);
    return {};
}

// Rank 0 of an MPI run: broadcasts the study to the other ranks once it is registered.
void start_mpi_run(MpiCoordinator* coordinator, const StudyConfig& study, const std::string& out,
                   const SessionOptions& options) {
    if (coordinator == nullptr) return;
    StudySetup setup;
    setup.config_toml = to_toml(study);
    setup.where = fmt::format("the config of study '{}' from rank 0", study.name);
    setup.work_dir = out;
    setup.threads = options.threads >= 0 ? options.threads : study.threads;
    coordinator->start(setup);
}

// What run_and_report throws when SessionOptions::stop stopped the run: where the committed
// generations are and how to continue.
Interrupted interrupted(const StudyConfig& study, const std::string& out, const ResultsDb& db,
                        std::int64_t study_id, const SessionOptions& options) {
    if (options.no_db)
        return Interrupted(fmt::format(
            "study '{}' was interrupted; a run without a database (--no-db) cannot be resumed: "
            "run it again",
            study.name));
    const auto committed = committed_generations(db, study_id);
    return Interrupted(fmt::format(
        "study '{}' was interrupted; {} committed so far {} in {}; continue the run with "
        "`madlab run --resume {}`",
        study.name,
        committed ? fmt::format("the {} generation{}", *committed, *committed == 1 ? "" : "s")
                  : std::string("the generations"),
        committed && *committed == 1 ? "stays" : "stay", db.path(), out));
}

// The end of a study whose chains are all committed: unless options.keep_checkpoints, deletes
// the chains' checkpoints from the database and compacts it (ResultsDb::drop_checkpoints). A
// failure to compact is a warning: the records are safe, the file only keeps its size.
void drop_checkpoints(ResultsDb& db, std::int64_t study_id, const SessionOptions& options) {
    if (options.keep_checkpoints || options.no_db) return;
    try {
        db.drop_checkpoints(study_id);
    } catch (const std::exception& e) {
        fmt::print(stderr, "madlab: warning: {}\n", e.what());
    }
}

// Refuses to run a new study into a folder that holds one already (its run.json, or a database
// with a study in it): the run would add a second study to the folder's database and write its
// files over the first's. A run that names its database with --db (shared on purpose) may.
void check_new_output_folder(const std::string& out, const SessionOptions& options) {
    if (!options.db_path.empty()) return;
    const RunFolder folder(out);
    const std::string db_path = folder.path(RunFolder::kDatabase);
    std::string what;
    if (folder.read_run_link()) {
        what = folder.path(RunFolder::kRun);
    } else if (std::filesystem::exists(db_path)) {
        const auto studies = ResultsDb::open(db_path, ResultsDb::Mode::kReadOnly)->studies();
        if (!studies.empty()) what = fmt::format("study '{}' in {}", studies.front().name, db_path);
    }
    if (what.empty()) return;
    throw ConfigError(fmt::format(
        "--out {}: the folder holds a run already ({}); continue it with `madlab run --resume "
        "{}`, or choose another folder with --out (to collect several studies in one database on "
        "purpose, name it with --db)",
        out, what, out));
}

// Runs a registered study (of a shard, `shard`) and hands its output to the reporters; marks
// the study "failed" in the database when the run throws, or "interrupted" (and throws
// Interrupted, saying how to resume) when options.stop stopped it: an external command that a
// forwarded signal ended fails its chain, and that failure is the interruption too.
// `coordinator`: rank 0 of an MPI run.
SessionResult run_and_report(const StudyConfig& study, const std::string& out, ResultsDb* db,
                             const StudyIds* ids, const SessionOptions& options, const Shard& shard,
                             MpiCoordinator* coordinator) {
    RunOptions run;
    run.threads = options.threads;
    run.progress = !options.quiet;
    run.work_dir = out;  // families that keep files keep them under DIR/models
    run.stop = options.stop;
    run.collect_records = false;  // the reporters read them from the database
    run.checkpoints = !options.no_db;
    run.shard = shard;
    if (coordinator != nullptr) coordinator->configure(run);
    StudyResult result;
    try {
        result = run_study(study, run, db, ids);
    } catch (...) {
        const bool stopped = options.stop != nullptr && options.stop->load();
        // Marking the study must not replace the error that stopped it.
        try {
            if (db) db->set_study_status(ids->study_id, stopped ? "interrupted" : "failed");
        } catch (const std::exception&) {
        }
        if (stopped) throw interrupted(study, out, *db, ids->study_id, options);
        throw;
    }
    drop_checkpoints(*db, ids->study_id, options);
    return report_run(study, out, *db, ids->study_id, std::move(result), options);
}

// A database that lives for one run without a database of its own (no_db): the records stream
// into it instead of memory, and it is deleted, with its journal and lock, when the run ends.
class ScratchDb {
public:
    explicit ScratchDb(const std::string& out)
        : path_(fmt::format("{}/{}{}.sqlite", out, kPrefix, static_cast<long>(::getpid()))) {
        remove_stale(out);
        remove_files();
        db_ = ResultsDb::open(path_, ResultsDb::Mode::kScratch);
    }
    ~ScratchDb() {
        db_.reset();
        remove_files();
    }
    ScratchDb(const ScratchDb&) = delete;
    ScratchDb& operator=(const ScratchDb&) = delete;

    ResultsDb& db() { return *db_; }

private:
    static constexpr const char* kPrefix = ".no-db-records.";

    // The scratch databases of killed runs into `out`: those whose process is gone.
    static void remove_stale(const std::string& out) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(out, ec)) {
            const std::string name = entry.path().filename().string();
            if (name.rfind(kPrefix, 0) != 0) continue;
            const long pid = std::strtol(name.c_str() + std::strlen(kPrefix), nullptr, 10);
            if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
                std::filesystem::remove(entry.path(), ec);
        }
    }

    void remove_files() const {
        std::error_code ec;
        for (const char* suffix : {"", "-journal", "-wal", "-shm", ".lock"})
            std::filesystem::remove(path_ + suffix, ec);
    }

    std::string path_;
    std::unique_ptr<ResultsDb> db_;
};

}  // namespace

SessionResult run_session(const StudyConfig& study, const SessionOptions& options) {
    if (is_mpi_worker()) return run_as_mpi_worker();
    // Rank 0 of an MPI run, null otherwise. A failure before start_mpi_run leaves the workers
    // waiting for the study: main ends them with its exit code (abort_mpi_run).
    const auto coordinator = MpiCoordinator::create();
    if (options.no_db && !options.db_path.empty())
        throw ConfigError("a run without a database (no_db) cannot also name one (db_path)");
    if (options.no_db && !options.shard.whole())
        throw ConfigError(
            "a shard (--shard) needs its database, which `madlab merge` reads; drop --no-db");
    if (options.no_db && coordinator)
        throw ConfigError(
            "--no-db cannot run across MPI ranks: rank 0 collects every generation in its "
            "database; drop --no-db, or run madlab without mpirun/srun");
    const std::string out =
        options.out_dir.empty() ? RunFolder::default_dir(study.name) : options.out_dir;
    check_new_output_folder(out, options);
    // Fail before writing anything; warn of settings that run, but not as meant.
    for (const std::string& warning : check_study_inputs(study, options.threads))
        fmt::print(stderr, "madlab: warning: {}\n", warning);
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec)
        throw ConfigError(fmt::format(
            "--out {}: cannot create the output folder ({}); give a folder you can write to", out,
            ec.message()));
    // The config is there from the start, so that the folder of a killed run says what ran
    // (and a resume can start it again when its registration never committed); the TOML
    // reporter writes it again at the end.
    RunFolder(out).write_config(to_toml(study));
    if (options.no_db) {
        ScratchDb scratch(out);
        const StudyIds ids = register_study(scratch.db(), study);
        return run_and_report(study, out, &scratch.db(), &ids, options, options.shard,
                              coordinator.get());
    }
    const std::string db_path =
        options.db_path.empty() ? RunFolder(out).path(RunFolder::kDatabase) : options.db_path;
    const auto db = ResultsDb::open(db_path, ResultsDb::Mode::kReadWrite);
    // run.json is written inside the registration's transaction: a kill leaves either no study
    // (and maybe a run.json naming one that never committed: resume_session starts it from
    // config.toml) or the whole study with its run.json.
    const StudyIds ids = register_study(*db, study, [&](const StudyIds& registered) {
        RunFolder(out).write_run_link(db_path, registered.study_id, options.shard);
    });
    start_mpi_run(coordinator.get(), study, out, options);
    return run_and_report(study, out, db.get(), &ids, options, options.shard, coordinator.get());
}

namespace {

// The database, study id and study that the run folder `dir` names, checked to exist.
struct OpenRun {
    std::unique_ptr<ResultsDb> db;
    std::int64_t study_id = 0;
    StudyConfig study;
    Shard shard;
};

// The study of a run folder whose run.json names a study that is not in its database: a run
// killed while it registered the study (run.json is written just before the registration
// commits). Read from the folder's config.toml; nullopt when the folder has none.
std::optional<StudyConfig> unregistered_study(const std::string& dir) {
    const std::string config = RunFolder(dir).path(RunFolder::kConfig);
    if (!std::filesystem::exists(config)) return std::nullopt;
    return load_study(config);
}

OpenRun open_run(const std::string& dir, ResultsDb::Mode mode) {
    const auto link = RunFolder(dir).read_run_link();
    if (!link)
        throw ConfigError(
            fmt::format("--resume {}: no {} there; resume a folder that a `madlab run --out` wrote",
                        dir, RunFolder(dir).path(RunFolder::kRun)));
    const auto& [db_path, study_id, shard] = *link;
    if (!std::filesystem::exists(db_path))
        throw DataError(
            fmt::format("--resume {}: its database '{}' does not exist; was it moved or deleted?",
                        dir, db_path));
    OpenRun run;
    run.db = ResultsDb::open(db_path, mode);
    run.study_id = study_id;
    run.shard = shard;
    const auto row = run.db->study(study_id);
    if (!row) {
        // Killed before the registration committed: nothing of the study was written, and
        // config.toml says what to run.
        if (auto study = unregistered_study(dir)) {
            run.study_id = 0;
            run.study = std::move(*study);
            return run;
        }
        throw DataError(fmt::format(
            "study {} is not in '{}' and {} has no {} to start it from: the run was killed "
            "before it registered its study; start it again with `madlab run STUDY.toml --out {}`",
            study_id, db_path, dir, RunFolder::kConfig, dir));
    }
    run.study =
        parse_study(row->config_toml, db_path + " (study " + std::to_string(study_id) + ")");
    return run;
}

}  // namespace

StudyConfig study_of_run(const std::string& dir) {
    return open_run(dir, ResultsDb::Mode::kReadOnly).study;
}

SessionResult resume_session(const std::string& dir, const SessionOptions& options) {
    if (is_mpi_worker()) return run_as_mpi_worker();    // rank 0 reads the database
    const auto coordinator = MpiCoordinator::create();  // as in run_session
    if (!options.out_dir.empty() || !options.db_path.empty() || options.no_db ||
        !options.shard.whole())
        throw ConfigError(fmt::format(
            "--resume {}: the folder names its own database and shard; do not give an output "
            "folder, a database, a shard or no_db with it",
            dir));
    OpenRun run = open_run(dir, ResultsDb::Mode::kReadWrite);
    check_memory(run.study, options.threads, available_memory_bytes());
    StudyIds ids;
    if (run.study_id == 0) {
        // Its registration never committed: register it now, as run_session would have.
        check_study_inputs(run.study, options.threads);
        ids = register_study(*run.db, run.study, [&](const StudyIds& registered) {
            RunFolder(dir).write_run_link(run.db->path(), registered.study_id, run.shard);
        });
        run.study_id = ids.study_id;
    } else {
        ids = find_study(*run.db, run.study_id, run.study);
        if (coordinator == nullptr && run.db->study(run.study_id)->status == "finished") {
            // Every chain is committed (and its checkpoint may be gone): write the outputs again.
            StudyResult result = finish_study(*run.db, run.study_id, false);
            return report_run(run.study, dir, *run.db, run.study_id, std::move(result), options);
        }
        run.db->set_study_status(run.study_id, "running");
    }
    start_mpi_run(coordinator.get(), run.study, dir, options);
    return run_and_report(run.study, dir, run.db.get(), &ids, options, run.shard,
                          coordinator.get());
}

}  // namespace madlab
