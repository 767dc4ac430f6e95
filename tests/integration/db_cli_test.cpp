// End-to-end tests of `madlab show` and `madlab export` on a results database made through the
// C++ API.

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "madlab/store/results_db.h"

namespace {

namespace fs = std::filesystem;
using madlab::testing::read_file;
using madlab::testing::run_madlab;

// Splits one CSV line with RFC 4180 quoting.
std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            cells.back() += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            cells.emplace_back();
        } else {
            cells.back() += c;
        }
    }
    return cells;
}

constexpr int kGenerations = 4;  // 0..3
const std::vector<std::string> kMetrics = {"precision", "recall", "train_size", "collapsed"};

// The value of a metric in the test database: fractions with long decimal expansions.
double value_of(int setting, std::uint64_t seed, int generation, int metric) {
    if (metric == 3) return setting == 0 && seed == 2 && generation >= 2 ? 1.0 : 0.0;
    return 0.9 - 0.1 * generation / (3.0 + setting) + seed / 7000.0 + metric / 13.0;
}

class DbCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("madlab_db_cli_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
                std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        db_ = (dir_ / "results.db").string();
        // Two settings (one label with a comma and quotes), two seeds, generations 0..3.
        auto db = madlab::ResultsDb::open(db_, madlab::ResultsDb::Mode::kReadWrite);
        madlab::StudyRow study;
        study.name = "tiny";
        study.madlab_version = "0.1.0";
        const auto id = db->add_study(study);
        const std::vector<std::pair<std::string, std::string>> settings = {
            {"replace", "schedule.preset=fully-synthetic"},
            {"fresh", "schedule.n_real_fresh=50, \"fresh\""}};
        for (int s = 0; s < 2; ++s) {
            const auto setting =
                db->add_setting({0, id, s, settings[s].first, settings[s].second, "{}"});
            for (std::uint64_t seed : {1u, 2u}) {
                const auto chain = db->add_chain(setting, seed);
                for (int g = 0; g < kGenerations; ++g) {
                    madlab::GenerationCommit commit{chain, g, {}, "ckpt"};
                    for (int m = 0; m < static_cast<int>(kMetrics.size()); ++m)
                        commit.values.emplace_back(kMetrics[m], value_of(s, seed, g, m));
                    db->commit_generation(commit);
                }
            }
        }
        db->set_study_status(id, "finished");
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
    std::string db_;
};

TEST_F(DbCli, ShowPrintsSettingsAndMetricValues) {
    const auto r = run_madlab("show " + db_);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (const char* part : {"study 'tiny'", "finished", "madlab 0.1.0", "2 settings", "4 chains",
                             "replace", "fresh", "schedule.n_real_fresh=50", "precision", "recall",
                             "gen 0", "gen 1", "gen 3", "collapsed@3", "1/2", "0/2"})
        EXPECT_NE(r.output.find(part), std::string::npos) << part << " not in:\n" << r.output;
    EXPECT_EQ(r.output.find("train_size"), std::string::npos) << r.output;  // not a default
    EXPECT_EQ(r.output.find("gen 2"), std::string::npos) << r.output;       // 0, 1, 5, 10, last
    // precision of "replace" at generation 0: mean over seeds 1 and 2, values 1/7000 apart, so
    // the half-width is t(1) * (1/7000) / 2 = 0.00091 and the mean has as many decimals.
    const double mean = (value_of(0, 1, 0, 0) + value_of(0, 2, 0, 0)) / 2.0;
    EXPECT_NE(r.output.find(fmt::format("{:.5f} ± 0.00091", mean)), std::string::npos) << r.output;

    const auto one =
        run_madlab("show " + db_ + " --metric train_size --generation 2 --setting fresh");
    ASSERT_EQ(one.exit_code, 0) << one.output;
    EXPECT_NE(one.output.find("train_size"), std::string::npos) << one.output;
    EXPECT_NE(one.output.find("gen 2"), std::string::npos) << one.output;
    EXPECT_EQ(one.output.find("gen 0"), std::string::npos) << one.output;
    EXPECT_EQ(one.output.find("replace"), std::string::npos) << one.output;

    const auto bad = run_madlab("show " + db_ + " --metric nosuch");
    EXPECT_EQ(bad.exit_code, 2) << bad.output;
    EXPECT_NE(bad.output.find("precision"), std::string::npos) << bad.output;  // lists metrics
    EXPECT_EQ(run_madlab("show " + db_ + " --study nosuch").exit_code, 2);
    EXPECT_EQ(run_madlab("show " + db_ + " --setting nosuch").exit_code, 2);
}

TEST_F(DbCli, ExportCsvHasTheHeaderAndExactValues) {
    const auto out = dir_ / "records.csv";
    const auto r = run_madlab("export " + db_ + " --format csv --out " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::istringstream in(read_file(out));
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(line, "study,setting,label,seed,generation,metric,value");
    std::size_t rows = 0;
    while (std::getline(in, line)) {
        const auto cells = split_csv_line(line);
        ASSERT_EQ(cells.size(), 7u) << line;
        EXPECT_EQ(cells[0], "tiny");
        const int s = cells[1] == "replace" ? 0 : 1;
        EXPECT_EQ(cells[2], s == 0 ? "schedule.preset=fully-synthetic"
                                   : "schedule.n_real_fresh=50, \"fresh\"");
        const std::uint64_t seed = std::stoull(cells[3]);
        const int g = std::stoi(cells[4]);
        const int m = static_cast<int>(std::find(kMetrics.begin(), kMetrics.end(), cells[5]) -
                                       kMetrics.begin());
        ASSERT_LT(m, static_cast<int>(kMetrics.size())) << line;
        double value = 0.0;
        const auto [end, ec] =
            std::from_chars(cells[6].data(), cells[6].data() + cells[6].size(), value);
        ASSERT_EQ(ec, std::errc()) << line;
        EXPECT_EQ(std::bit_cast<std::uint64_t>(value),
                  std::bit_cast<std::uint64_t>(value_of(s, seed, g, m)))
            << line;
        ++rows;
    }
    EXPECT_EQ(rows, 2u * 2 * kGenerations * kMetrics.size());
    for (const auto& entry : fs::directory_iterator(dir_))
        EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();

    // Filters; stdout by default.
    const auto filtered = run_madlab("export " + db_ + " --metric recall --generation 0,3", false);
    ASSERT_EQ(filtered.exit_code, 0) << filtered.output;
    std::size_t lines = 0;
    for (char c : filtered.output) lines += c == '\n';
    EXPECT_EQ(lines, 1u + 2 * 2 * 2);  // header + settings x seeds x 2 generations
}

TEST_F(DbCli, ExportJsonParses) {
    const auto out = dir_ / "records.json";
    const auto r = run_madlab("export " + db_ + " --format json --out " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto json = nlohmann::json::parse(read_file(out));
    ASSERT_TRUE(json.is_array());
    ASSERT_EQ(json.size(), 2u * 2 * kGenerations * kMetrics.size());
    const auto& first = json[0];
    EXPECT_EQ(first["study"], "tiny");
    EXPECT_EQ(first["setting"], "replace");
    EXPECT_EQ(first["seed"], 1);
    EXPECT_EQ(first["generation"], 0);
    EXPECT_EQ(first["metric"], "precision");
    EXPECT_EQ(first["value"].get<double>(), value_of(0, 1, 0, 0));
    // The format follows the extension when --format is left out.
    const auto out2 = dir_ / "again.json";
    ASSERT_EQ(run_madlab("export " + db_ + " --out " + out2.string()).exit_code, 0);
    EXPECT_EQ(nlohmann::json::parse(read_file(out2)), json);
}

TEST_F(DbCli, BadFormatAndMissingDatabaseExitTwo) {
    const auto bad = run_madlab("export " + db_ + " --format xml");
    EXPECT_EQ(bad.exit_code, 2) << bad.output;
    const std::string missing = (dir_ / "nowhere.db").string();
    for (const char* command : {"show ", "export "}) {
        const auto r = run_madlab(command + missing);
        EXPECT_EQ(r.exit_code, 2) << r.output;
        EXPECT_NE(r.output.find(missing), std::string::npos) << r.output;
    }
    EXPECT_FALSE(fs::exists(missing));
    // A file that is not a database.
    const auto text = dir_ / "notes.txt";
    std::ofstream(text) << "not a database\n";
    const auto r = run_madlab("show " + text.string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("not a madlab results database"), std::string::npos) << r.output;
}

TEST_F(DbCli, AGenerationBeyondTheRecordsIsAnError) {
    // Generations 0..3 are committed: 3 is shown, 4 names the recorded range (a negative
    // generation is refused by the command line parser already).
    EXPECT_EQ(run_madlab("show " + db_ + " --generation 3").exit_code, 0);
    for (const char* command : {"show ", "export "}) {
        const auto r = run_madlab(command + db_ + " --generation 4");
        EXPECT_EQ(r.exit_code, 2) << command << r.output;
        EXPECT_NE(r.output.find("generations 0..3 are recorded"), std::string::npos) << r.output;
        EXPECT_EQ(run_madlab(command + db_ + " --generation -1").exit_code, 2);
    }
}

TEST_F(DbCli, ShowWorksWhileAWriterHoldsTheDatabase) {
    const auto writer = madlab::ResultsDb::open(db_, madlab::ResultsDb::Mode::kReadWrite);
    const auto r = run_madlab("show " + db_);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("replace"), std::string::npos) << r.output;
}

}  // namespace
