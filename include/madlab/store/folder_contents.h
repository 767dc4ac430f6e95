#pragma once
// What an output folder holds, read once and checked (RunFolder::read, store/run_folder.h): the
// folder of `madlab run`, `madlab threshold` or `madlab decompose`. Which files each command
// writes, and their content, is described in docs/report.md. The report is made from this.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "madlab/store/record.h"
#include "madlab/store/summary.h"

namespace madlab {

enum class FolderKind { kRun, kThreshold, kDecompose };

// Stored samples of one chain at one generation (DIR/samples.json). Continuous data: `points`,
// row-major, `columns` values per point. Text: `lines`. kind is "model" (samples of the model of
// that generation) or "real" (held-out real test points, stored with generation 0).
struct SampleEntry {
    std::string setting;
    std::uint64_t seed = 0;
    int generation = 0;
    std::string kind;
    std::size_t columns = 0;
    std::vector<double> points;  // point i, column j is points[i * columns + j]
    std::vector<std::string> lines;
    std::vector<std::size_t> shape;  // images: [height, width] or [height, width, channels]
    bool image = false;              // has a shape
};

struct StudyFolder {
    std::string dir;
    FolderKind kind = FolderKind::kRun;
    nlohmann::json config;    // resolved config as JSON: {study, base, settings}
    std::string config_toml;  // DIR/config.toml as written, "" when absent
    std::string madlab_version;
    double run_seconds = 0.0;
    std::string db_path;  // from DIR/run.json; "" when the run had no database
    // Per (setting, generation, metric): summary.json's rows, or for the analyses the summary
    // of records.csv. Settings in the order they first appear.
    std::vector<SummaryRow> summary;
    // records.csv (empty when absent). For a run, only the records of generation 0 and of each
    // setting's last generation (what the report pairs), so that a study of millions of
    // records can be read; an analysis' records in full.
    std::vector<Record> records;
    nlohmann::json analysis;            // threshold.json's or decompose.json's body, or null
    std::vector<SampleEntry> samples;   // empty when samples.json is absent
    std::vector<std::string> settings;  // in the order of the summary
    std::vector<std::string> metrics;   // in the order of the summary

    std::string study_name() const;
    std::string study_description() const;
};

// The last generation of each (setting, metric) of `summary`. Of a run's records the report
// keeps those of generation 0 and of these generations (what it pairs), so that a study of
// millions of records can be read.
using LastGenerations = std::map<std::pair<std::string, std::string>, int>;
LastGenerations last_generations(const std::vector<SummaryRow>& summary);

// Whether the report keeps `record` of a run whose last generations are `last`.
bool is_paired_record(const Record& record, const LastGenerations& last);

// Fills folder.settings and folder.metrics from folder.summary, in the order they first appear.
void list_settings_and_metrics(StudyFolder& folder);

}  // namespace madlab
