#include "madlab/report/study_folder.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "madlab/core/error.h"
#include "report_fixture.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using StudyFolderTest = testing::ReportFolder;

// The message of the DataError `f` throws ("" if it throws none).
template <class F>
std::string data_error(F&& f) {
    try {
        f();
    } catch (const DataError& e) {
        return e.what();
    }
    return "";
}

TEST_F(StudyFolderTest, ReadsEveryFileOfARun) {
    const StudyFolder f = read_study_folder(fixture("run"));
    EXPECT_EQ(f.kind, FolderKind::kRun);
    EXPECT_EQ(f.study_name(), "tiny-grid");
    EXPECT_EQ(f.study_description(), "Does fresh data keep a tiny grid model from going MAD?");
    EXPECT_EQ(f.madlab_version, "0.1.0");
    EXPECT_DOUBLE_EQ(f.run_seconds, 1.5);
    EXPECT_EQ(f.db_path, "/data/lab.sqlite");
    EXPECT_NE(f.config_toml.find("name = 'tiny-grid'"), std::string::npos);
    EXPECT_EQ(f.settings, (std::vector<std::string>{"fully-synthetic", "fresh-data"}));
    EXPECT_EQ(f.metrics,
              (std::vector<std::string>{"frechet", "precision", "recall", "train_size"}));
    EXPECT_EQ(f.summary.size(), 2u * 4u * 4u);  // settings x generations x metrics
    // Of records.csv's 2 x 3 x 4 x 4 (settings x seeds x generations x metrics), a run keeps
    // generations 0 and 3, which the report pairs.
    EXPECT_EQ(f.records.size(), 2u * 3u * 2u * 4u);
    for (const Record& r : f.records) EXPECT_TRUE(r.generation == 0 || r.generation == 3);
    ASSERT_EQ(f.samples.size(), 2u * 5u);
    const SampleEntry& real = f.samples[0];
    EXPECT_EQ(real.kind, "real");
    EXPECT_EQ(real.columns, 2u);
    EXPECT_EQ(real.points.size(), 10u);
    EXPECT_DOUBLE_EQ(real.points[3], 2.0);  // point 1, column 1
}

TEST_F(StudyFolderTest, WorksWithoutTheOptionalFiles) {
    const std::string dir = fixture("run");
    for (const char* name : {"samples.json", "run.json", "config.toml", "records.csv"})
        fs::remove(fs::path(dir) / name);
    const StudyFolder f = read_study_folder(dir);
    EXPECT_TRUE(f.samples.empty());
    EXPECT_TRUE(f.db_path.empty());
    EXPECT_TRUE(f.config_toml.empty());
    EXPECT_TRUE(f.records.empty());
    EXPECT_EQ(f.settings.size(), 2u);
}

TEST_F(StudyFolderTest, MalformedSummaryIsADataErrorNamingTheFile) {
    const std::string dir = fixture("run");
    write(fs::path(dir) / "summary.json", "{\"summary\": [");
    const std::string message = data_error([&] { read_study_folder(dir); });
    EXPECT_NE(message.find("summary.json"), std::string::npos) << message;
    EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;

    write(fs::path(dir) / "summary.json", "{\"summary\": [{\"setting\": \"a\"}]}");
    const std::string missing = data_error([&] { read_study_folder(dir); });
    EXPECT_NE(missing.find("summary.json"), std::string::npos) << missing;
    EXPECT_NE(missing.find("metric"), std::string::npos) << missing;
}

TEST_F(StudyFolderTest, MalformedSamplesIsADataErrorNamingTheFile) {
    const std::string dir = fixture("run");
    write(fs::path(dir) / "samples.json",
          R"({"samples": [{"setting": "a", "generation": 1, "columns": 2,
                           "points": [[1, 2], [3]]}]})");
    const std::string message = data_error([&] { read_study_folder(dir); });
    EXPECT_NE(message.find("samples.json"), std::string::npos) << message;
    EXPECT_NE(message.find("has 1 values, not 2"), std::string::npos) << message;
}

TEST_F(StudyFolderTest, ImageSamplesAreKeptButMarked) {
    const std::string dir = fixture("run");
    write(fs::path(dir) / "samples.json",
          R"({"samples": [{"setting": "fresh-data", "seed": 0, "generation": 1, "kind": "model",
                           "columns": 4, "shape": [2, 2], "points": [[0, 1, 1, 0]]}]})");
    const StudyFolder f = read_study_folder(dir);
    ASSERT_EQ(f.samples.size(), 1u);
    EXPECT_TRUE(f.samples[0].image);
}

TEST_F(StudyFolderTest, AFolderWithoutResultsSaysWhatToDo) {
    const std::string empty = (root_ / "empty").string();
    fs::create_directories(empty);
    const std::string message = data_error([&] { read_study_folder(empty); });
    EXPECT_NE(message.find("no summary.json, threshold.json or decompose.json"), std::string::npos)
        << message;
    EXPECT_NE(data_error([&] { read_study_folder((root_ / "absent").string()); }).find("folder"),
              std::string::npos);
}

TEST_F(StudyFolderTest, AnalysesAreSummarisedFromTheirRecords) {
    const StudyFolder t = read_study_folder(fixture("threshold"));
    EXPECT_EQ(t.kind, FolderKind::kThreshold);
    EXPECT_EQ(t.analysis.value("metric", ""), "frechet");
    // 3 candidates x 3 generations + the real-only fit (generation 0), one metric.
    EXPECT_EQ(t.summary.size(), 3u * 3u + 1u);
    EXPECT_GT(t.run_seconds, 0.0);

    const std::string dir = fixture("decompose");
    const StudyFolder d = read_study_folder(dir);
    EXPECT_EQ(d.kind, FolderKind::kDecompose);
    EXPECT_EQ(d.analysis.at("generations_table").size(), 3u);
    fs::remove(fs::path(dir) / "records.csv");
    const std::string message = data_error([&] { read_study_folder(dir); });
    EXPECT_NE(message.find("records.csv is missing"), std::string::npos) << message;
}

}  // namespace
}  // namespace madlab
