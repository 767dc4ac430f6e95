#pragma once
// The subcommands of the madlab CLI. Each registers its options on the parser and returns the
// function to run when it is chosen; no algorithm code lives in apps/.

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "madlab/store/results_db.h"
#include "madlab/study/analysis.h"

namespace madlab::cli {

using Action = std::function<int()>;

// Wall seconds since `start` (the timings subcommands print).
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `madlab run [STUDY.toml] [--out DIR] [--threads N] [--quiet]`
Action add_run_command(CLI::App& app);

// `madlab merge OUT SHARD_DIR... [--db FILE] [--quiet] [--no-report]` (merge_command.cpp)
Action add_merge_command(CLI::App& app);

// `madlab threshold STUDY.toml [--out DIR] [--threads N] [--quiet]` (threshold_command.cpp)
Action add_threshold_command(CLI::App& app);

// `madlab decompose STUDY.toml [--out DIR] [--threads N] [--quiet]` (decompose_command.cpp)
Action add_decompose_command(CLI::App& app);

// `madlab threshold` and `madlab decompose` through one driver (analysis_command.cpp): the
// options STUDY.toml, --out (default madlab-results/<study name>-<name>), --threads and --quiet
// (`quiet_help` says what it leaves out); the action loads the study, runs the analysis
// (run_analysis) and hands its output to the file, console and HTML reporters.
Action add_analysis_command(CLI::App& app, std::shared_ptr<Analysis> analysis,
                            const std::string& description, const std::string& quiet_help);

// `madlab report DIR [DIR...] | DB [--study S...] [--out FILE] [--figures FIGDIR]`
// (report_command.cpp)
Action add_report_command(CLI::App& app);

// `madlab show DB [--study NAME] [--setting NAME...] [--metric NAME...] [--generation G...]`
Action add_show_command(CLI::App& app);

// `madlab export DB [--format csv|json] [--out FILE] [filters as show]`
Action add_export_command(CLI::App& app);

// `madlab metrics REAL FAKE [--k 5] [--metrics prdc,frechet,kid] [--threads N]
// [--format table|json] [--out FILE]` (metrics_command.cpp)
Action add_metrics_command(CLI::App& app);

// `madlab lm CORPUS [--order 3] [--tokens word|char] [--arpa FILE] [--query TEXT]
// [--format table|json]` (lm_command.cpp)
Action add_lm_command(CLI::App& app);

// `madlab keys [--markdown]`: the config keys of every model family and metric.
Action add_keys_command(CLI::App& app);

// The database and the filters shared by `show` and `export`; empty means everything.
struct RecordSelection {
    std::string db;
    std::string study;                  // a study name (every study of that name) or id
    std::vector<std::string> settings;  // setting names
    std::vector<std::string> metrics;
    std::vector<int> generations;
};

// Registers DB and --study/--setting/--metric/--generation on `command` (defined in
// show_command.cpp).
void add_selection_options(CLI::App& command, RecordSelection& selection);

// The studies the selection names, ordered by id. Throws ConfigError, listing what the database
// holds, if --study, --setting or --metric names nothing in it.
std::vector<StudyRow> select_studies(const ResultsDb& db, const RecordSelection& selection);

// The query for one selected study; the lists of the selection with more than one entry are
// left out and must be checked with `selected`.
RecordFilter selection_filter(const RecordSelection& selection, std::int64_t study_id);
bool selected(const RecordSelection& selection, const std::string& setting,
              const std::string& metric, int generation);

}  // namespace madlab::cli
