#include "madlab/store/run_folder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "madlab/core/error.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed when the test ends.
class RunFolderTest : public ::testing::Test {
protected:
    RunFolderTest() {
        static std::atomic<int> counter{0};
        root_ =
            fs::temp_directory_path() / ("madlab_run_folder_test_" + std::to_string(::getpid()) +
                                         "_" + std::to_string(counter.fetch_add(1)));
    }
    ~RunFolderTest() override {
        std::error_code ignored;
        fs::remove_all(root_, ignored);
    }

    std::string dir(const std::string& name = "out") const { return (root_ / name).string(); }

    static std::string read(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }

    fs::path root_;
};

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

std::vector<Record> some_records() {
    std::vector<Record> records;
    for (std::uint64_t seed = 0; seed < 3; ++seed)
        for (int g = 0; g <= 2; ++g) {
            records.push_back({"a, quoted \"one\"", seed, g, "frechet", 0.5 * g + 0.1 * seed});
            records.push_back({"b", seed, g, "frechet", 1.0 / 3.0 + g});
        }
    return records;
}

const nlohmann::json kConfig = {{"study", {{"name", "tiny"}, {"description", "a question"}}}};

TEST_F(RunFolderTest, ARunKeepsTheLastGenerationOfEachMetric) {
    // "early" stops at generation 1 while "m" goes on to 3: the report pairs each metric's own
    // last generation with generation 0.
    const RunFolder folder(dir("metrics"));
    std::vector<Record> records;
    for (std::uint64_t seed = 0; seed < 2; ++seed)
        for (int g = 0; g <= 3; ++g) {
            records.push_back({"s", seed, g, "m", 1.0 * g});
            if (g <= 1) records.push_back({"s", seed, g, "early", 2.0 * g});
        }
    folder.write_records(records);
    folder.write_summary(kConfig, 1.0, summarize(records));
    std::vector<std::pair<std::string, int>> kept;
    for (const auto& r : folder.read().records) kept.emplace_back(r.metric, r.generation);
    EXPECT_EQ(kept, (std::vector<std::pair<std::string, int>>{{"m", 0},
                                                              {"early", 0},
                                                              {"early", 1},
                                                              {"m", 3},
                                                              {"m", 0},
                                                              {"early", 0},
                                                              {"early", 1},
                                                              {"m", 3}}));
}

TEST_F(RunFolderTest, PathsAreTheFolderAndTheFileName) {
    const RunFolder folder("some/dir");
    EXPECT_EQ(folder.path(RunFolder::kRecords), "some/dir/records.csv");
    EXPECT_EQ(folder.path(RunFolder::analysis_file(RunFolder::kThreshold)),
              "some/dir/threshold.json");
    EXPECT_EQ(folder.report_path(), "some/dir/report.html");
    // The page's path is a file system join: a trailing slash is not doubled.
    EXPECT_EQ(RunFolder("some/dir/").report_path(), "some/dir/report.html");
}

TEST_F(RunFolderTest, TheDefaultFolderStaysInMadlabResults) {
    EXPECT_EQ(RunFolder::default_dir("default"), "madlab-results/default");
    EXPECT_EQ(RunFolder::default_dir("th", "threshold"), "madlab-results/th-threshold");
    // A name from a study file is made a safe folder name: "../../x" cannot leave the folder,
    // and a newline makes no folder with a newline.
    for (const std::string name : {"../../x", "..", "a\nb", "/abs"}) {
        for (const std::string suffix : {"", "decompose"}) {
            const std::string dir = RunFolder::default_dir(name, suffix);
            const fs::path path(dir);
            EXPECT_EQ(path.parent_path(), "madlab-results") << dir;
            EXPECT_EQ(dir.find('\n'), std::string::npos);
            EXPECT_NE(path.filename().string().front(), '.') << dir;
            EXPECT_EQ(fs::path(dir).lexically_normal().parent_path(), "madlab-results") << dir;
        }
    }
    EXPECT_EQ(RunFolder::default_dir("../../x").substr(0, 23), "madlab-results/_._.._x-");
    // An empty name would be madlab-results/ itself.
    try {
        RunFolder::default_dir("");
        ADD_FAILURE() << "no exception";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("study.name is empty"), std::string::npos) << e.what();
    }
}

TEST_F(RunFolderTest, ARunRoundTrips) {
    const RunFolder folder(dir("nested/out"));
    const auto records = some_records();
    const auto summary = summarize(records);
    SampleSet points{"model", 2, {1.0, 2.0, 3.0, 4.0}};
    SampleSet text{"real", 0, {}, {"one line", "another"}};
    SampleSet image{"model", 4, {0.0, 0.5, 1.0, 0.25}, {}, {2, 2}};
    const std::vector<SampleRow> samples = {
        {"b", 0, 1, points}, {"b", 0, 0, text}, {"a, quoted \"one\"", 0, 2, image}};
    folder.write_records(records);
    folder.write_summary(kConfig, 2.5, summary);
    folder.write_samples(samples);
    folder.write_config("[study]\nname = 'tiny'\n");
    folder.write_run_link("lab.sqlite", 7);

    const StudyFolder f = folder.read();
    EXPECT_EQ(f.dir, folder.dir());
    EXPECT_EQ(f.kind, FolderKind::kRun);
    EXPECT_EQ(f.config, kConfig);
    EXPECT_EQ(f.study_name(), "tiny");
    EXPECT_EQ(f.study_description(), "a question");
    EXPECT_EQ(f.madlab_version, MADLAB_VERSION);
    EXPECT_DOUBLE_EQ(f.run_seconds, 2.5);
    EXPECT_EQ(f.config_toml, "[study]\nname = 'tiny'\n");
    EXPECT_EQ(f.db_path, fs::absolute("lab.sqlite").string());
    // A run keeps the records of generation 0 and of the last generation (what the report
    // pairs), in the file's order.
    std::vector<Record> kept;
    for (const auto& r : records)
        if (r.generation == 0 || r.generation == 2) kept.push_back(r);
    ASSERT_EQ(kept.size(), 12u);
    ASSERT_EQ(f.records.size(), kept.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
        EXPECT_EQ(f.records[i].setting, kept[i].setting);
        EXPECT_EQ(f.records[i].seed, kept[i].seed);
        EXPECT_EQ(f.records[i].generation, kept[i].generation);
        EXPECT_EQ(f.records[i].metric, kept[i].metric);
        EXPECT_EQ(f.records[i].value, kept[i].value);  // shortest round-trip form
    }
    ASSERT_EQ(f.summary.size(), summary.size());
    for (std::size_t i = 0; i < summary.size(); ++i) {
        EXPECT_EQ(f.summary[i].setting, summary[i].setting);
        EXPECT_EQ(f.summary[i].generation, summary[i].generation);
        EXPECT_EQ(f.summary[i].count, summary[i].count);
        EXPECT_DOUBLE_EQ(f.summary[i].mean, summary[i].mean);
        EXPECT_DOUBLE_EQ(f.summary[i].ci95_high, summary[i].ci95_high);
    }
    EXPECT_EQ(f.settings, (std::vector<std::string>{"a, quoted \"one\"", "b"}));
    EXPECT_EQ(f.metrics, (std::vector<std::string>{"frechet"}));
    ASSERT_EQ(f.samples.size(), 3u);
    EXPECT_EQ(f.samples[0].points, points.values);
    EXPECT_EQ(f.samples[0].columns, 2u);
    EXPECT_FALSE(f.samples[0].image);
    EXPECT_EQ(f.samples[1].lines, text.lines);
    EXPECT_EQ(f.samples[1].kind, "real");
    EXPECT_TRUE(f.samples[2].image);
    EXPECT_EQ(f.samples[2].shape, (std::vector<std::size_t>{2, 2}));

    const auto link = folder.read_run_link();
    ASSERT_TRUE(link.has_value());
    EXPECT_EQ(link->db, fs::absolute("lab.sqlite").string());
    EXPECT_EQ(link->study_id, 7);
}

TEST_F(RunFolderTest, FilesHaveTheFormatMadlabHasAlwaysWritten) {
    const RunFolder folder(dir());
    folder.write_records({{"s", 1, 2, "m", 0.5}});
    EXPECT_EQ(read(folder.path(RunFolder::kRecords)),
              "setting,seed,generation,metric,value\ns,1,2,m,0.5\n");
    folder.write_run_link("/data/lab.sqlite", 3);
    EXPECT_EQ(read(folder.path(RunFolder::kRun)),
              "{\n \"db\": \"/data/lab.sqlite\",\n \"study_id\": 3\n}\n");
    folder.write_analysis(RunFolder::kDecompose, kConfig, {{"run_seconds", 1.0}});
    const std::string analysis = read(folder.path("decompose.json"));
    EXPECT_EQ(analysis.back(), '\n');
    EXPECT_EQ(nlohmann::json::parse(analysis),
              (nlohmann::json{{"madlab_version", MADLAB_VERSION},
                              {"config", kConfig},
                              {"decompose", {{"run_seconds", 1.0}}}}));
    // No temporary file is left behind.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder.dir())) ++files;
    EXPECT_EQ(files, 3u);
}

TEST_F(RunFolderTest, AnAnalysisRoundTripsAndIsSummarisedFromItsRecords) {
    const RunFolder folder(dir());
    const auto records = some_records();
    folder.write_analysis(RunFolder::kThreshold, kConfig,
                          {{"metric", "frechet"}, {"run_seconds", 4.0}});
    folder.write_records(records);
    const StudyFolder f = folder.read();
    EXPECT_EQ(f.kind, FolderKind::kThreshold);
    EXPECT_EQ(f.analysis.value("metric", ""), "frechet");
    EXPECT_DOUBLE_EQ(f.run_seconds, 4.0);
    EXPECT_EQ(f.summary.size(), summarize(records).size());
    EXPECT_TRUE(f.samples.empty());
    EXPECT_TRUE(f.db_path.empty());

    fs::remove(folder.path(RunFolder::kRecords));
    EXPECT_NE(data_error([&] { folder.read(); }).find("records.csv is missing"), std::string::npos);
}

TEST_F(RunFolderTest, AFolderWithoutResultsIsADataError) {
    const RunFolder empty(dir("empty"));
    empty.create();
    const std::string message = data_error([&] { empty.read(); });
    EXPECT_NE(message.find("no summary.json, threshold.json or decompose.json"), std::string::npos)
        << message;
    EXPECT_NE(data_error([&] { RunFolder(dir("absent")).read(); }).find("is not a folder"),
              std::string::npos);

    const RunFolder no_rows(dir("no-rows"));
    no_rows.write_summary(kConfig, 1.0, {});
    EXPECT_NE(data_error([&] { no_rows.read(); }).find("holds no results"), std::string::npos);
}

TEST_F(RunFolderTest, RunLinkIsAbsentOrChecked) {
    const RunFolder folder(dir());
    folder.create();
    EXPECT_FALSE(folder.read_run_link().has_value());
    std::ofstream(folder.path(RunFolder::kRun)) << "{\"db\": \"x\"}";
    const std::string message = data_error([&] { folder.read_run_link(); });
    EXPECT_NE(message.find("run.json is malformed"), std::string::npos) << message;
}

TEST_F(RunFolderTest, AFolderThatCannotBeCreatedIsAnError) {
    const RunFolder blocked(dir("file"));
    blocked.create();
    std::ofstream(blocked.path("plain")) << "x";
    EXPECT_THROW(RunFolder(blocked.path("plain") + "/sub").write_config(""), Error);
}

}  // namespace
}  // namespace madlab
