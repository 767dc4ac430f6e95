#pragma once
// The output folder of a run or an analysis, and the one owner of its files: their names, their
// formats, how they are written (whole or not at all, core/atomic_file.h) and how they are read
// back. Nothing else in madlab names a file of the folder.
//
//   records.csv     every record, long form (store/record_files.h)
//   summary.json    a run: {madlab_version, config, run_seconds, summary: [...]}
//   samples.json    a run: the kept samples (store/sample_set.h)
//   config.toml     a run: the config as it ran
//   run.json        a run with a database: {db, study_id[, shard]}, for `madlab run --resume`
//   threshold.json  an analysis: {madlab_version, config, <name>: body}; decompose.json alike
//   report.html     the page that report/ writes from the others
//   results.sqlite  a run's results database, unless --db names another (store/results_db.h)
//
// store/ does not know the study's types: the writers take what the study layer has already
// serialised (the config as TOML text and as JSON, records, summaries, sample rows).

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madlab/store/folder_contents.h"
#include "madlab/store/record.h"
#include "madlab/store/record_columns.h"
#include "madlab/store/sample_set.h"
#include "madlab/store/shard.h"
#include "madlab/store/summary.h"

namespace madlab {

// Where a run folder's study lives in a results database (DIR/run.json).
struct RunLink {
    std::string db;  // absolute path of the database
    std::int64_t study_id = 0;
    Shard shard;  // the chains the run covers (store/shard.h): all of them unless --shard
};

// The samples of samples.json's content `file` (`{"samples": [...]}`, store/sample_set.h's
// samples_file_json). Throws DataError naming `where` when a point has the wrong number of
// values, and nlohmann::json's exceptions when a field is missing.
std::vector<SampleEntry> samples_from_json(const nlohmann::json& file, const std::string& where);

class RunFolder {
public:
    static constexpr std::string_view kRecords = "records.csv";
    static constexpr std::string_view kSummary = "summary.json";
    static constexpr std::string_view kSamples = "samples.json";
    static constexpr std::string_view kConfig = "config.toml";
    static constexpr std::string_view kRun = "run.json";
    static constexpr std::string_view kReport = "report.html";
    // The results database of `madlab run` when --db names none.
    static constexpr std::string_view kDatabase = "results.sqlite";
    // The analyses' files are "<name>.json": threshold.json, decompose.json.
    static constexpr std::string_view kThreshold = "threshold";
    static constexpr std::string_view kDecompose = "decompose";

    explicit RunFolder(std::string dir) : dir_(std::move(dir)) {}

    // The folder when --out names none: madlab-results/<study>, or madlab-results/<study>-<suffix>
    // for an analysis (suffix "threshold", "decompose"), with the study's name made a safe folder
    // name (core/safe_file_name.h: "../x" cannot leave madlab-results/). Throws ConfigError
    // naming study.name when the name is empty.
    static std::string default_dir(const std::string& study_name, std::string_view suffix = "");

    const std::string& dir() const { return dir_; }

    // DIR/<file> as the writers and the command lines name it: dir + "/" + file.
    std::string path(std::string_view file) const;

    // "<name>.json", the file of the analysis `name`.
    static std::string analysis_file(std::string_view name) { return std::string(name) + ".json"; }

    // The page's path, DIR/report.html joined as a file system path (no doubled slash).
    std::string report_path() const;

    // Creates the folder and its parents; throws Error naming it when that fails. Every
    // writer calls it first.
    void create() const;

    // ---- writers: each file atomically, creating the folder ----

    void write_records(const std::vector<Record>& records) const;
    // The same, streamed: `for_each` calls its argument once per record, in order (a study
    // whose records are in a database and not in memory); with `columns`, in the columns of
    // `madlab export` (RecordCsvWriter).
    void write_records(
        const std::function<void(const std::function<void(const Record&)>&)>& for_each,
        const RecordColumns* columns = nullptr) const;
    // summary.json of a run; `config` is the resolved config as JSON.
    void write_summary(const nlohmann::json& config, double run_seconds,
                       const std::vector<SummaryRow>& summary) const;
    void write_samples(const std::vector<SampleRow>& samples) const;
    void write_config(const std::string& toml) const;
    // run.json; `db` is made absolute, so that --resume works from any working folder.
    // A shard's run.json also says which shard it is ("shard": "K/N").
    void write_run_link(const std::string& db, std::int64_t study_id,
                        const Shard& shard = {}) const;
    // <name>.json of an analysis ("threshold", "decompose").
    void write_analysis(std::string_view name, const nlohmann::json& config,
                        const nlohmann::json& body) const;

    // ---- readers ----

    // run.json for --resume: nullopt when the folder has none; throws DataError when it is
    // malformed or lacks db or study_id.
    std::optional<RunLink> read_run_link() const;

    // The whole folder (folder_contents.h). Needs summary.json (a run), threshold.json or
    // decompose.json (an analysis, with records.csv); config.toml, run.json, records.csv (for a
    // run) and samples.json are optional. Throws DataError naming the file and saying what to
    // do when the folder or a file is missing or malformed, or when it holds no results.
    StudyFolder read() const;

    // ---- housekeeping ----

    // Removes the temporary files that writers killed during a write left in the folder and its
    // subfolders (remove_stale_temporaries, core/atomic_file.h; a live process's are kept).
    // `madlab run --resume` and `madlab report` call it first. Returns the removed paths.
    std::vector<std::string> remove_stale_temporaries() const;

private:
    std::string dir_;
};

}  // namespace madlab
