#include "madlab/store/reporter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

namespace madlab {
namespace {

namespace fs = std::filesystem;

StudyOutput run_output() {
    StudyOutput out;
    out.config = {{"study", {{"name", "tiny"}}}};
    out.config_toml = "[study]\nname = 'tiny'\n";
    out.records = {{"s", 0, 0, "m", 1.0}, {"s", 1, 0, "m", 2.0}};
    out.summary = summarize(out.records);
    out.samples = {{"s", 0, 0, SampleSet{"model", 1, {0.5}}}};
    out.text = "the table";
    out.seconds = 1.5;
    return out;
}

TEST(ConsoleReporter, PrintsTheTextThenTheResultFiles) {
    std::ostringstream out;
    ConsoleReporter(out, RunFolder("dir"), false).report(run_output());
    EXPECT_EQ(out.str(), "the table\nresults: dir/records.csv, dir/summary.json (1.5 s)\n");

    StudyOutput with_db = run_output();
    with_db.db_path = "lab.sqlite";
    std::ostringstream quiet;
    ConsoleReporter(quiet, RunFolder("dir"), true).report(with_db);
    EXPECT_EQ(quiet.str(),
              "results: dir/records.csv, dir/summary.json, database lab.sqlite (1.5 s)\n");
}

TEST(ConsoleReporter, AnAnalysisNamesItsFileAndKeepsItsQuietText) {
    StudyOutput analysis;
    analysis.analysis = "threshold";
    analysis.text = "report\nanswer: 5\nmore";
    analysis.quiet_text = "answer: 5\n";
    analysis.seconds = 3.0;
    std::ostringstream out;
    ConsoleReporter(out, RunFolder("d"), true).report(analysis);
    EXPECT_EQ(out.str(), "answer: 5\nresults: d/threshold.json, d/records.csv (3.0 s)\n");
}

TEST(FileReporters, WriteTheFilesOfARunOrAnAnalysis) {
    const fs::path root =
        fs::temp_directory_path() / ("madlab_reporter_test_" + std::to_string(::getpid()));
    const RunFolder folder(root.string());
    Reporters reporters;
    reporters.push_back(std::make_unique<CsvReporter>(folder));
    reporters.push_back(std::make_unique<JsonReporter>(folder));
    reporters.push_back(std::make_unique<TomlReporter>(folder));
    const StudyOutput run = run_output();
    report_all(reporters, run);
    const StudyFolder f = folder.read();
    EXPECT_EQ(f.kind, FolderKind::kRun);
    EXPECT_EQ(f.records.size(), 2u);
    EXPECT_EQ(f.summary.size(), 1u);
    EXPECT_EQ(f.samples.size(), 1u);
    EXPECT_EQ(f.config_toml, run.config_toml);
    EXPECT_DOUBLE_EQ(f.run_seconds, 1.5);

    StudyOutput analysis = run;
    analysis.analysis = "decompose";
    analysis.analysis_body = {{"run_seconds", 2.0}};
    JsonReporter(folder).report(analysis);
    EXPECT_TRUE(fs::exists(root / "decompose.json"));
    fs::remove_all(root);
}

}  // namespace
}  // namespace madlab
