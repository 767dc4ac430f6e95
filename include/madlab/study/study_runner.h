#pragma once
// Runs a study: every (setting, seed) chain for generations 0..G, in parallel over chains, and
// collects the records in a fixed order (setting, seed, generation) so that the result does
// not depend on the thread count.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/store/record.h"
#include "madlab/store/results_db.h"
#include "madlab/store/shard.h"
#include "madlab/store/summary.h"
#include "madlab/study/study_config.h"

namespace madlab {

class ChainDispatcher;  // study/chain_dispatcher.h

struct RunOptions {
    int threads = -1;      // -1: the study's own setting; 0: all cores
    bool progress = true;  // draw a progress bar on stderr when it is a terminal
    // The output folder: models that keep files keep them in work_dir/models unless
    // model.work_dir names another folder.
    std::string work_dir;
    // When set and it becomes true, every chain stops after the generation it is in (committed,
    // so that --resume continues from there) and run_study throws Interrupted.
    const std::atomic<bool>* stop = nullptr;
    // With a database: read every record back into StudyResult::records at the end. Off, the
    // records stay in the database only (a study of millions of records; read them with
    // ResultsDb::visit_records), and memory does not grow with their number.
    bool collect_records = true;
    // With a database: commit the chains' checkpoints with their generations, so that a killed
    // run resumes. Off for a scratch database that dies with the run (`--no-db`).
    bool checkpoints = true;
    // A chain's checkpoint goes with a generation when this many seconds have passed since its
    // last one, and always with its last generation; 0: with every generation. A chain resumed
    // from an older checkpoint recomputes the generations since (the same records, checked by
    // the database), so this bounds the work a kill loses. Families that keep files (external
    // commands, neural weights) checkpoint every generation regardless.
    double checkpoint_seconds = 1.0;
    // Run only the chains of this shard (store/shard.h); the others are left as they are.
    Shard shard;
    // When set (with a database), runs the chains instead of this process's threads alone, e.g.
    // across MPI ranks (cluster/mpi_executor.h); `threads` is then this process's share.
    ChainDispatcher* dispatcher = nullptr;
};

// What run_study throws when RunOptions::stop asked it to stop.
class Interrupted : public Error {
public:
    using Error::Error;
};

struct StudyResult {
    std::vector<Record> records;     // empty when RunOptions::collect_records is off
    std::vector<SampleRow> samples;  // kept for the report (study.sample_*), first seed only
    std::vector<SummaryRow> summary;
    double seconds = 0.0;  // wall time of the run
};

// Checks first that the study fits in the memory available (study/memory_estimate.h, for
// `threads` as RunOptions::threads), then loads every setting's real source once and checks
// that file sources hold enough rows for the schedule and the test set, so that a bad input
// fails before anything is written. Throws DataError / ConfigError naming the file and the keys
// to change. Returns warnings for settings that will run but not as the user likely expects
// (full covariances in more dimensions than points), for the caller to print.
std::vector<std::string> check_study_inputs(const StudyConfig& study, int threads = -1);

// Where a study lives in a results database: its id and the id of every chain, indexed
// [setting position][seed index].
struct StudyIds {
    std::int64_t study_id = 0;
    std::vector<std::vector<std::int64_t>> chain_ids;
};

// Adds the study, its settings (name, label, resolved parameters) and chains to the database,
// all in one transaction (ResultsDb::in_transaction): a kill leaves the whole study or none of
// it. `before_commit`, when set, runs with the new ids inside the transaction, before it
// commits: run_session writes run.json there, so that no committed study lacks the folder's
// link to it. An exception from it rolls the registration back.
StudyIds register_study(ResultsDb& db, const StudyConfig& study,
                        const std::function<void(const StudyIds&)>& before_commit = {});

// The ids of a study registered earlier, checked against the config (same settings, seeds);
// throws Error if they do not match.
StudyIds find_study(const ResultsDb& db, std::int64_t study_id, const StudyConfig& study);

// Without a database the records stay in memory. With one (and the ids from register_study or
// find_study), every finished generation is committed with the chain's checkpoint, chains that
// already have committed generations continue from their checkpoint (resume), the summary is
// computed from the database (summarize_study) and the result's records are read back from it
// (unless RunOptions::collect_records is off), so that a resumed run returns exactly the records
// of an uninterrupted one.
StudyResult run_study(const StudyConfig& study, const RunOptions& options = {},
                      ResultsDb* db = nullptr, const StudyIds* ids = nullptr);

// The result of study `study_id`, every chain of which is committed to `db`: its summary
// (summarize_study), kept samples and, with `collect_records`, records; marks it "finished".
// The end of run_study with a database, and of merging shards.
StudyResult finish_study(ResultsDb& db, std::int64_t study_id, bool collect_records);

// Whether generation g of a study keeps samples for the report (study.sample_generations).
bool keeps_samples(const StudyConfig& study, bool text, int generation);

// Writes DIR/records.csv, DIR/summary.json, DIR/samples.json and DIR/config.toml (creating
// DIR), each atomically, through study_file_reporters (study/study_output.h, which defines this
// and format_summary_table).
void write_study_outputs(const std::string& dir, const StudyConfig& study,
                         const StudyResult& result);

// The terminal table: per setting, the chosen metrics (precision, recall, coverage, frechet
// when present; for text perplexity_fixed_vocab, or perplexity when the family has no
// fixed-vocabulary value, lost_mass, distinct_2, unigram_entropy) at generations 0, 1, 5, 10 and
// the last, as mean [95% interval].
std::string format_summary_table(const StudyConfig& study, const std::vector<SummaryRow>& rows);

}  // namespace madlab
