#pragma once
// The results database: one SQLite file holding studies, their settings, chains (setting x
// seed), every record, and a checkpoint per chain. Each finished generation is committed in one
// transaction (its records and the chain's checkpoint together), so a crash loses at most the
// generation in progress, and a resumed run continues from the last committed generation.
// The schema is documented and versioned in docs/database.md (PRAGMA user_version).
//
// Concurrency: a writer holds an exclusive advisory lock (flock) on "<path>.lock" for as long as
// the ResultsDb is open for writing; a second writer gets a clear Error naming the path and
// telling the user that another madlab run is using it. Readers (show, export) need no lock.
// One ResultsDb may be used from several threads: every public method is serialised by an
// internal mutex.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "madlab/store/record.h"
#include "madlab/store/sample_set.h"

namespace madlab {

struct StudyRow {
    std::int64_t id = 0;
    std::string name;
    std::string config_toml;  // the resolved config (parse_study reads it back)
    std::string config_json;  // the same as JSON
    std::string madlab_version;
    std::string created_at;  // ISO 8601 UTC, set by the database on insert
    // "running", "finished", "failed" or "interrupted" (a signal stopped it; resumable). A
    // "running" study whose writer is gone was killed: see has_live_writer.
    std::string status;
};

struct SettingRow {
    std::int64_t id = 0;
    std::int64_t study_id = 0;
    int position = 0;         // order of the setting in its study
    std::string name;         // stable id within the study, e.g. "fresh-data" or "s07"
    std::string label;        // readable, e.g. "schedule.n_real_fresh=500, model.bias=0.9"
    std::string params_json;  // the resolved chain config as JSON
    // The study's parameter columns (study.parameters: by default the [sweep] keys, in the
    // order written), each with this setting's value as JSON text ("0.9", "500",
    // "\"fresh-data\"", "null" for a key the setting's source kind or model family lacks), in
    // column order; empty for a study without sweeps and for one written before schema
    // version 3. Stored in the table setting_parameters (numbers as numbers, true/false as
    // 1/0, arrays as their JSON text) and shown as columns by the view results_wide.
    std::vector<std::pair<std::string, std::string>> parameters;
};

struct ChainRow {
    std::int64_t id = 0;
    std::int64_t setting_id = 0;
    std::uint64_t seed = 0;
    int last_generation = -1;  // last committed generation, -1 if none
};

// One finished generation of one chain: its metric values in order and the chain's state.
struct GenerationCommit {
    std::int64_t chain_id = 0;
    int generation = 0;
    std::vector<std::pair<std::string, double>> values;  // metric name, value, in order
    // Opaque bytes that replace the chain's previous checkpoint; empty: this generation has
    // none, and the chain keeps the checkpoint it has (a chain need not checkpoint every
    // generation: resumed from an older one, it recomputes the generations in between).
    std::string checkpoint;
    std::vector<SampleSet> samples;  // samples kept for the report (kinds must differ)
};

// A filter for queries; empty / nullopt fields match everything.
struct RecordFilter {
    std::optional<std::string> study;  // study name
    std::optional<std::int64_t> study_id;
    std::optional<std::string> setting;  // setting name
    std::optional<std::string> metric;
    std::optional<int> generation;
};

// One record with the names a reader needs on its own (export, show): the study, the setting's
// name and label, and the chain's seed.
struct RecordRow {
    std::int64_t study_id = 0;
    std::string study;
    std::string setting;
    std::string label;
    std::uint64_t seed = 0;
    int generation = 0;
    std::string metric;
    double value = 0.0;
};

class ResultsDb {
public:
    // kScratch: read-write without durability (no journal on disk, no fsync), for a database
    // that only lives for one run and is deleted after it (`madlab run --no-db`).
    enum class Mode { kReadOnly, kReadWrite, kScratch };

    // Opens (creating it and its schema in kReadWrite mode if missing) the database at `path`.
    // kReadOnly rolls back a rollback journal that a killed writer left first (with a short
    // read-write connection, when no writer holds the lock), or throws DataError saying how.
    // Throws Error if the file cannot be opened, is not a madlab database, has a newer schema
    // version, or (kReadWrite) another process holds the writer lock.
    static std::unique_ptr<ResultsDb> open(const std::string& path, Mode mode);
    virtual ~ResultsDb() = default;

    virtual std::string path() const = 0;

    // --- writing (kReadWrite, kScratch) ---
    virtual std::int64_t add_study(const StudyRow& study) = 0;  // returns its id
    virtual void set_study_status(std::int64_t study_id, const std::string& status) = 0;
    virtual std::int64_t add_setting(const SettingRow& setting) = 0;  // returns its id
    virtual std::int64_t add_chain(std::int64_t setting_id, std::uint64_t seed) = 0;
    // Inserts the records and replaces the chain's checkpoint (unless the commit has none) in
    // one transaction; sets the chain's last_generation. A generation already committed (a chain
    // recomputing the generations after an older checkpoint) is skipped: the committed values
    // stay, and its checkpoint (if any) is taken only when it carries the committed values bit
    // for bit (on another CPU the last bits may differ). Throws Error if generation >
    // last_generation + 1 (a gap).
    virtual void commit_generation(const GenerationCommit& commit) = 0;
    // Commits several generations (of one or many chains, each chain's in increasing order) in
    // ONE transaction: all or nothing. Only the last checkpoint of each chain in the batch is
    // written, since each replaces the one before. Same checks as commit_generation.
    virtual void commit_generations(const std::vector<GenerationCommit>& commits) = 0;
    // Runs `body` (which may call the writing methods above, from this thread) in ONE
    // transaction: committed when body returns, rolled back when it throws (or the process dies
    // before the commit), so that a study is registered whole or not at all. The SQLite database
    // holds its write lock meanwhile; this default, for a database without transactions, just
    // runs body.
    virtual void in_transaction(const std::function<void()>& body) { body(); }
    // Deletes the checkpoints of every chain of a finished study (they only serve to resume or
    // extend it, and make most of the file) and VACUUMs the file, so that it shrinks on disk.
    // Returns the number of checkpoints deleted. Call it only once every chain is committed to
    // its last generation: an interrupted study needs its checkpoints to resume. This default,
    // for a database that keeps no checkpoints of its own (an MPI worker's), deletes nothing.
    virtual std::size_t drop_checkpoints(std::int64_t /*study_id*/) { return 0; }

    // --- reading ---
    virtual std::vector<StudyRow> studies() const = 0;
    virtual std::optional<StudyRow> study(std::int64_t id) const = 0;
    virtual std::vector<SettingRow> settings(std::int64_t study_id) const = 0;
    virtual std::vector<ChainRow> chains(std::int64_t setting_id) const = 0;
    virtual std::optional<std::string> checkpoint(std::int64_t chain_id) const = 0;
    // The generation after which the chain's checkpoint was taken, or nullopt when it has none
    // (or the database keeps none of its own, as an MPI worker's).
    virtual std::optional<int> checkpoint_generation(std::int64_t /*chain_id*/) const {
        return std::nullopt;
    }
    // Records matching the filter, ordered by study, setting position, seed, generation and the
    // order in which the values were committed (so a resumed run reads back in the same order).
    virtual std::vector<Record> records(const RecordFilter& filter) const = 0;
    // The same records, handed one by one to `visit` instead of held in memory (a study of
    // millions of records).
    virtual void visit_records(const RecordFilter& filter,
                               const std::function<void(const Record&)>& visit) const = 0;
    // The records of one generation of every chain of a setting, ordered by seed and then by the
    // order in which the values were committed: the values a summary row is made of.
    virtual std::vector<Record> generation_records(std::int64_t setting_id,
                                                   int generation) const = 0;
    // The generations of a setting that hold records, ascending: what generation_records is
    // asked for. Read from the records, not from the chains' last_generation, which a damaged or
    // edited file may set to billions.
    virtual std::vector<int> record_generations(std::int64_t setting_id) const = 0;
    // The same records with their study and setting label, in the same order.
    virtual std::vector<RecordRow> record_rows(const RecordFilter& filter) const = 0;
    // The distinct metric names recorded in a study, in the order they are committed.
    virtual std::vector<std::string> metrics(std::int64_t study_id) const = 0;
    // The samples kept for a study's report, ordered by setting position, seed, generation and
    // kind; empty for a database of schema version 1.
    virtual std::vector<SampleRow> samples(std::int64_t study_id) const = 0;
};

// Whether a process holds the writer lock of the database at `db_path` ("<path>.lock") now: a
// madlab run is writing it. A study whose status is "running" while no writer is alive was
// killed (`madlab show` calls it interrupted; `madlab run --resume DIR` continues it).
bool has_live_writer(const std::string& db_path);

// The generations committed for a study so far, over all its chains (what a stopped run tells
// the user stays in the database); nullopt if the database cannot say.
std::optional<std::size_t> committed_generations(const ResultsDb& db, std::int64_t study_id);

// Whether the file `path` starts as every SQLite file does ("SQLite format 3" and a NUL byte):
// false for a missing, empty or other file.
bool is_sqlite_file(const std::string& path);

}  // namespace madlab
