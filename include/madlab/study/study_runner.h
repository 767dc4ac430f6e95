#pragma once
// Runs a study: every (setting, seed) chain for generations 0..G, in parallel over chains, and
// collects the records in a fixed order (setting, seed, generation) so that the result does
// not depend on the thread count.

#include <string>
#include <vector>

#include "madlab/store/record.h"
#include "madlab/store/summary.h"
#include "madlab/study/study_config.h"

namespace madlab {

struct RunOptions {
    int threads = -1;      // -1: the study's own setting; 0: all cores
    bool progress = true;  // draw a progress bar on stderr when it is a terminal
};

struct StudyResult {
    std::vector<Record> records;
    std::vector<SummaryRow> summary;
    double seconds = 0.0;  // wall time of the run
};

StudyResult run_study(const StudyConfig& study, const RunOptions& options = {});

// Writes DIR/records.csv, DIR/summary.json and DIR/config.toml (creating DIR), each atomically.
void write_study_outputs(const std::string& dir, const StudyConfig& study,
                         const StudyResult& result);

// The terminal table: per setting, the chosen metrics (precision, recall, coverage, frechet
// when present) at generations 0, 1, 5, 10 and the last, as mean [95% interval].
std::string format_summary_table(const StudyConfig& study, const std::vector<SummaryRow>& rows);

}  // namespace madlab
