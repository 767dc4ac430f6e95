#pragma once
// What a report is made from: the output folder of `madlab run`, `madlab threshold` or
// `madlab decompose`, read once and checked. The folder's files belong to store/ (RunFolder,
// store/run_folder.h); this is the report's name for reading them.

#include <string>

#include "madlab/store/folder_contents.h"

namespace madlab {

// Reads DIR (RunFolder(dir).read()). Needs summary.json (a run), threshold.json or
// decompose.json (an analysis, with records.csv); config.toml, run.json, records.csv (for a
// run) and samples.json are optional. Throws DataError naming the file and saying what to do
// when a file is missing or malformed.
StudyFolder read_study_folder(const std::string& dir);

// The summary row of (setting, metric, generation), or nullptr when the folder has none.
const SummaryRow* find_summary_row(const StudyFolder& folder, const std::string& setting,
                                   const std::string& metric, int generation);

}  // namespace madlab
