#pragma once
// The outputs of a study run or an analysis, one reporter per form, after google/benchmark's
// BenchmarkReporter (console, JSON and CSV reporters behind one interface): CsvReporter
// (records.csv), JsonReporter (summary.json and samples.json, or an analysis' <name>.json),
// TomlReporter (config.toml), ConsoleReporter (the terminal) here, and HtmlReporter (the page,
// report/html_reporter.h) in the report layer, which implements this interface.
//
// Why this shape: google/benchmark streams runs as they finish (ReportContext, ReportRuns,
// Finalize); madlab's results stream into the database instead (store/generation_writer.h), and
// its outputs are made once, from the finished result. So a reporter has one call,
// report(output). The result arrives already serialised (StudyOutput), because store/ does not
// know the study's types: study/ builds it (study/study_output.h). A command runs its reporters
// in order; the page is made from the files the others wrote, so HtmlReporter comes last.

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "madlab/store/record.h"
#include "madlab/store/results_db.h"
#include "madlab/store/run_folder.h"
#include "madlab/store/sample_set.h"
#include "madlab/store/summary.h"

namespace madlab {

// What a study run or an analysis produced, in the forms its outputs need.
struct StudyOutput {
    // "" for a study run; else the analysis ("threshold", "decompose"), whose result is
    // `analysis_body` and goes to DIR/<analysis>.json.
    std::string analysis;
    nlohmann::json config;        // the resolved config as JSON
    std::string config_toml;      // the config as TOML (a run's config.toml)
    std::vector<Record> records;  // every record, unless records_db holds them
    // When set, the records are study `study_id` of this database (read as they are written:
    // memory does not grow with their number), and `records` is empty.
    const ResultsDb* records_db = nullptr;
    std::int64_t study_id = 0;
    std::vector<SummaryRow> summary;  // a run: the summary over seeds
    std::vector<SampleRow> samples;   // a run: the samples kept for the report
    nlohmann::json analysis_body;     // an analysis: its result as JSON
    std::string text;                 // the terminal report: summary table or analysis report
    std::string quiet_text;           // what --quiet keeps of `text` ("" for nothing)
    std::string db_path;              // the results database; "" without one
    double seconds = 0.0;             // wall time of the run
};

class Reporter {
public:
    virtual ~Reporter() = default;
    // Writes or prints `output`; throws Error (a file cannot be written) and passes on the
    // folder's DataError.
    virtual void report(const StudyOutput& output) = 0;
};

using Reporters = std::vector<std::unique_ptr<Reporter>>;

// Calls every reporter, in order.
void report_all(const Reporters& reporters, const StudyOutput& output);

// A reporter that writes files of a run folder.
class FileReporter : public Reporter {
public:
    explicit FileReporter(RunFolder folder) : folder_(std::move(folder)) {}

protected:
    RunFolder folder_;
};

// DIR/records.csv.
class CsvReporter : public FileReporter {
public:
    using FileReporter::FileReporter;
    void report(const StudyOutput& output) override;
};

// A run: DIR/summary.json and DIR/samples.json. An analysis: DIR/<analysis>.json.
class JsonReporter : public FileReporter {
public:
    using FileReporter::FileReporter;
    void report(const StudyOutput& output) override;
};

// DIR/config.toml: the config as it ran.
class TomlReporter : public FileReporter {
public:
    using FileReporter::FileReporter;
    void report(const StudyOutput& output) override;
};

// The terminal: output.text and an empty line (with `quiet`, output.quiet_text alone), then the
// line naming the result files, the database and the wall time.
class ConsoleReporter : public Reporter {
public:
    ConsoleReporter(std::ostream& out, RunFolder folder, bool quiet)
        : out_(out), folder_(std::move(folder)), quiet_(quiet) {}
    void report(const StudyOutput& output) override;

private:
    std::ostream& out_;
    RunFolder folder_;
    bool quiet_;
};

}  // namespace madlab
