#pragma once
// A study run's outputs: the StudyOutput (store/reporter.h) that its reporters receive, made
// from the config and the result, and the reporters of a run's files. The files themselves
// belong to store/ (RunFolder); this layer serialises what only it knows, the StudyConfig.

#include <string>

#include "madlab/store/reporter.h"
#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab {

// The output of `result`: the config as JSON and TOML, the records, summary and samples
// (moved out of `result`), the summary table as the terminal text (nothing with --quiet), and
// the database's path ("" without one).
StudyOutput study_output(const StudyConfig& study, StudyResult result,
                         const std::string& db_path = "");

// The reporters of a run's files in DIR, in the order they are written: records.csv,
// summary.json and samples.json, config.toml.
Reporters study_file_reporters(const RunFolder& folder);

}  // namespace madlab
