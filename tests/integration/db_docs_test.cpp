// docs/database.md cannot go stale: every ```sql block of it runs against a database that
// `madlab run` wrote (the default study, and examples/sweep_fresh_bias.toml added to it with
// --db, both made small with --set) and returns rows. The same database checks the parameter
// columns of records.csv and `madlab export`, and that a finished study keeps no checkpoints.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace {

namespace fs = std::filesystem;
using madlab::testing::read_file;
using madlab::testing::run_madlab;

// The contents of the ```sql blocks of docs/database.md.
std::vector<std::string> sql_blocks() {
    return madlab::testing::fenced_blocks(MADLAB_SOURCE_DIR "/docs/database.md", "sql");
}

// The rows `sql` returns on the database at `path` (read-only), each row's columns as text.
std::vector<std::vector<std::string>> query(const fs::path& path, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    std::vector<std::vector<std::string>> rows;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << sql << "\n" << sqlite3_errmsg(db);
    } else {
        int rc;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
            auto& row = rows.emplace_back();
            for (int i = 0; i < sqlite3_column_count(statement); ++i) {
                const auto* text = sqlite3_column_text(statement, i);
                row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
            }
        }
        EXPECT_EQ(rc, SQLITE_DONE) << sql << "\n" << sqlite3_errmsg(db);
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows;
}

// The database of the quick start made small, shared by the tests of this file: the default
// study (4 settings) with 2 seeds and 500 points, and the sweep example (2 x 2 of its cells) added
// with --db. Written once per process.
class DbDocs : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new fs::path(fs::temp_directory_path() /
                            ("madlab_db_docs_" + std::to_string(::getpid())));
        fs::remove_all(*dir_);
        const std::string small =
            " --set study.seeds=2 --set schedule.n=500 --set metrics.n_eval=500"
            " --set metrics.n_test=500 --quiet --no-report";
        const auto quick = run_madlab("run --out " + (*dir_ / "default").string() + small);
        ASSERT_EQ(quick.exit_code, 0) << quick.output;
        const auto sweep =
            run_madlab("run " MADLAB_SOURCE_DIR "/examples/sweep_fresh_bias.toml --out " +
                       (*dir_ / "sweep").string() + " --db " + db().string() + small +
                       " --set study.generations=5 --set 'sweep.schedule.n_real_fresh=[0, 500]'"
                       " --set 'sweep.model.bias=[1.0, 0.7]'");
        ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
    }
    static void TearDownTestSuite() {
        fs::remove_all(*dir_);
        delete dir_;
    }
    static fs::path db() { return *dir_ / "default" / "results.sqlite"; }

    static fs::path* dir_;
};

fs::path* DbDocs::dir_ = nullptr;

TEST_F(DbDocs, EverySqlBlockOfTheDocReturnsRows) {
    const auto blocks = sql_blocks();
    ASSERT_GE(blocks.size(), 5u) << "docs/database.md lost its ```sql blocks";
    for (const std::string& sql : blocks) EXPECT_FALSE(query(db(), sql).empty()) << sql;
    // The documented schema version is the file's.
    const std::string doc = read_file(MADLAB_SOURCE_DIR "/docs/database.md");
    const std::string version = query(db(), "PRAGMA user_version")[0][0];
    EXPECT_NE(doc.find("## Schema (version " + version + ")"), std::string::npos) << version;
    EXPECT_NE(doc.find("`PRAGMA user_version` (currently `" + version + "`)"), std::string::npos);
}

TEST_F(DbDocs, TheSweepsParametersAreColumnsOfRecordsExportAndResultsWide) {
    const std::string header = "study,setting,label,seed,generation,metric,value";
    // The default study has no sweep: no parameter column.
    std::istringstream quick(read_file(*dir_ / "default" / "records.csv"));
    std::string line;
    std::getline(quick, line);
    EXPECT_EQ(line, header);
    std::getline(quick, line);
    EXPECT_EQ(line.rfind("mad-grid25,fully-synthetic,fully-synthetic,0,0,", 0), 0u) << line;
    // The sweep's records.csv: its two keys in the order of the file's [sweep].
    std::istringstream sweep(read_file(*dir_ / "sweep" / "records.csv"));
    std::getline(sweep, line);
    EXPECT_EQ(line, header + ",schedule.n_real_fresh,model.bias");
    std::string records = line + "\n";
    std::size_t rows = 0;
    while (std::getline(sweep, line)) {
        records += line + "\n";
        ++rows;
        const std::string setting = line.substr(line.find(',') + 1);
        const std::string fresh = setting.substr(13, setting.find(' ') - 13);  // n_real_fresh=
        const std::string bias = setting.substr(setting.find("bias=") + 5, 3);
        EXPECT_EQ(line.substr(line.size() - fresh.size() - bias.size() - 2),
                  "," + fresh + "," + bias)
            << line;
    }
    // Settings x seeds x generations x (frechet, precision, recall, density, coverage, and the
    // training set's values): at least 5 values of each generation of each chain.
    EXPECT_GE(rows, 4u * 2 * 6 * 5);
    // export of that study: the same header and rows.
    const auto exported =
        run_madlab("export " + db().string() + " --study sweep-fresh-bias", false);
    ASSERT_EQ(exported.exit_code, 0);
    EXPECT_EQ(exported.output, records);
    // export of the whole database: every study's rows, the parameters empty where a study has
    // none.
    const auto all = run_madlab("export " + db().string() + " --metric recall --generation 0");
    ASSERT_EQ(all.exit_code, 0) << all.output;
    EXPECT_NE(all.output.find("mad-grid25,fresh-data,fresh-data,1,0,recall,"), std::string::npos);
    EXPECT_NE(all.output.find(",,\n"), std::string::npos) << all.output;
    const auto json = run_madlab(
        "export " + db().string() + " --format json --study sweep-fresh-bias --metric recall",
        false);
    EXPECT_NE(json.output.find("\"schedule.n_real_fresh\":500,\"model.bias\":0.7}"),
              std::string::npos)
        << json.output.substr(0, 400);
    // results_wide: one distinct (n_real_fresh, bias) per setting of the sweep.
    EXPECT_EQ(query(db(),
                    "SELECT DISTINCT setting, \"schedule.n_real_fresh\", \"model.bias\" "
                    "FROM results_wide WHERE study = 'sweep-fresh-bias' ORDER BY "
                    "setting_position"),
              (std::vector<std::vector<std::string>>{{"n_real_fresh=0 bias=1.0", "0", "1.0"},
                                                     {"n_real_fresh=0 bias=0.7", "0", "0.7"},
                                                     {"n_real_fresh=500 bias=1.0", "500", "1.0"},
                                                     {"n_real_fresh=500 bias=0.7", "500", "0.7"}}));
}

TEST_F(DbDocs, FinishedStudiesKeepNoCheckpointsAndConfigRecordsTheOverrides) {
    EXPECT_EQ(query(db(), "SELECT count(*) FROM checkpoints")[0][0], "0");
    EXPECT_EQ(query(db(), "SELECT count(*) FROM chains")[0][0], "16");  // 4 x 2 + 4 x 2
    const std::string config = read_file(*dir_ / "sweep" / "config.toml");
    EXPECT_NE(config.find("seeds = 2\n"), std::string::npos) << config;
    EXPECT_NE(config.find("generations = 5\n"), std::string::npos);
    EXPECT_NE(config.find("parameters = ['schedule.n_real_fresh', 'model.bias']"),
              std::string::npos);
    EXPECT_NE(config.find("n = 500\n"), std::string::npos);
}

}  // namespace
