#pragma once
// A study run into an output folder, from start to the last file: what `madlab run` does and
// what the Python package's madlab.run() does, written once. A new run checks its inputs before
// anything is written, creates the folder, registers the study in the results database (unless
// `no_db`), runs it and hands the output to the file, console and HTML reporters. A resumed run
// reads the study back from the database its folder names and continues from the last
// committed generation of every chain.

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "madlab/store/shard.h"
#include "madlab/study/study_config.h"

namespace madlab {

struct SessionOptions {
    std::string out_dir;  // "" = madlab-results/<study name>
    std::string db_path;  // "" = <out_dir>/results.sqlite
    int threads = -1;     // -1: study.threads; 0: all cores
    bool quiet = false;   // no progress bar, no summary table
    // Files only: the records pass through a scratch database in the output folder that is
    // deleted at the end (memory does not grow with them); a killed run cannot be resumed.
    bool no_db = false;
    bool no_report = false;
    std::ostream* console = nullptr;  // the summary table and the report's line; null = std::cout
    // RunOptions::stop: set to true, the chains stop after their current generation (the study
    // stays resumable) and the run throws Interrupted.
    const std::atomic<bool>* stop = nullptr;
    // Run only this shard's chains (store/shard.h), into a database of its own; `madlab merge`
    // (session/merge_shards.h) combines the shards. A resumed run keeps the shard it had.
    Shard shard;
    // Keep the chains' checkpoints in the database when the study finishes (needed only to
    // continue its chains from their last state); by default they are deleted and the file is
    // VACUUMed (ResultsDb::drop_checkpoints).
    bool keep_checkpoints = false;
};

// Where a finished run left its results.
struct SessionResult {
    std::string out_dir;
    std::string db_path;        // "" with no_db
    std::int64_t study_id = 0;  // 0 with no_db
    std::string report_path;    // "" with no_report
    double seconds = 0.0;       // wall time of the chains
};

// Runs `study` into a new output folder. Throws ConfigError / DataError (bad config or inputs,
// before anything is written) and Error; a study whose run failed is marked "failed" in the
// database, and its committed generations stay for `resume_session`.
SessionResult run_session(const StudyConfig& study, const SessionOptions& options);

// The study of the run whose output folder is `dir`, read back from the database the folder
// names. Throws ConfigError when `dir` holds no run, DataError when its database is missing or
// does not hold the study.
StudyConfig study_of_run(const std::string& dir);

class ResultsDb;
struct StudyResult;

// Writes the outputs of the finished study `study_id` of `db` into `out` (records.csv streamed
// from the database, summary.json, samples.json, config.toml, the page unless no_report) and
// prints the summary table: the end of run_session, resume_session and merge_shards.
SessionResult report_run(const StudyConfig& study, const std::string& out, const ResultsDb& db,
                         std::int64_t study_id, StudyResult result, const SessionOptions& options);

// Continues the run whose output folder is `dir` (a folder run_session wrote with a database).
// options.out_dir and options.db_path must be empty: the folder names its database. Throws
// ConfigError when `dir` holds no run, DataError when its database is missing or does not hold
// the study.
SessionResult resume_session(const std::string& dir, const SessionOptions& options);

}  // namespace madlab
