#pragma once
// A study of a results database read as the report reads a run folder (folder_contents.h), so
// that `madlab report lab.sqlite` makes from the database the page that `madlab report DIR` makes
// from the folder `madlab run` wrote for the same study.

#include <cstdint>
#include <string>

#include "madlab/store/folder_contents.h"
#include "madlab/store/results_db.h"

namespace madlab {

// Study `study_id` of `db` as a StudyFolder of kind kRun, holding what DIR/summary.json,
// records.csv, samples.json and config.toml of its run would: the resolved config
// (studies.config_json and config_toml), the summary over seeds (summarize_study, the function
// whose rows `madlab run` writes to summary.json), the records of generation 0 and of each
// (setting, metric)'s last generation (is_paired_record), and the kept samples. `dir` names the
// source, "<db path> (study <id>)"; run_seconds is 0 (the database does not keep it). Throws
// DataError naming the database and the study when the study does not exist or holds no record.
StudyFolder read_database_study(const ResultsDb& db, std::int64_t study_id);

}  // namespace madlab
