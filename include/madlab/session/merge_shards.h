#pragma once
// `madlab merge OUT SHARD_DIRS...`: combines the run folders of `madlab run --shard K/N` into
// one run folder whose database, records.csv, summary and report are those of the study run
// whole (records byte for byte). It refuses shards of different configs, madlab versions or
// shard counts, a shard given twice, and an output folder that already holds a run; it names
// every missing or unfinished chain and the shard that should have run it.

#include <string>
#include <vector>

#include "madlab/session/run_session.h"

namespace madlab {

// Merges `shard_dirs` into options.out_dir (required) and its database (options.db_path, default
// OUT/results.sqlite). options.no_db and options.shard must be unset. Throws ConfigError (the
// shards do not belong together, OUT holds a run) and DataError (a shard's files or database are
// missing, chains are missing or unfinished) before anything is written.
SessionResult merge_shards(const std::vector<std::string>& shard_dirs,
                           const SessionOptions& options);

}  // namespace madlab
