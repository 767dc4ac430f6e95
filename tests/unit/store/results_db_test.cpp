#include "madlab/store/results_db.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <thread>

#include "madlab/core/error.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using Mode = ResultsDb::Mode;

class ResultsDbTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("madlab_db_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
                std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "results.db").string();
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Runs SQL on the file with a raw connection (outside ResultsDb).
    void raw_sql(const std::string& sql) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        char* error = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
        const std::string message = error ? error : "";
        sqlite3_free(error);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK) << message;
    }

    fs::path dir_;
    std::string path_;
};

// Expects `body` to throw an Error of type E whose message contains every one of `parts`.
template <class E = Error, class Body>
void expect_error(Body body, std::initializer_list<std::string> parts) {
    try {
        body();
        ADD_FAILURE() << "no exception";
    } catch (const E& e) {
        for (const auto& part : parts)
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
                << "'" << part << "' not in: " << e.what();
    }
}

bool same_bits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Values that a careless store would change: -0.0, a subnormal, the extremes, infinities, and
// fractions with no short decimal form.
const std::vector<double> kTrickyValues = {0.1,
                                           1.0 / 3.0,
                                           -0.0,
                                           0.0,
                                           4.9406564584124654e-324,
                                           std::numeric_limits<double>::max(),
                                           -std::numeric_limits<double>::infinity(),
                                           std::numeric_limits<double>::infinity(),
                                           3.0,
                                           1e300 / 7.0};

// A study with settings "b" (position 1, added first) and "a" (position 0), each with seeds 7
// and 3 (added in that order), generations 0..2, metrics m0..m3.
struct SmallStudy {
    std::int64_t study = 0;
    std::int64_t setting_a = 0, setting_b = 0;
    std::vector<std::int64_t> chains;
};

GenerationCommit make_commit(std::int64_t chain, int generation, double base) {
    GenerationCommit commit;
    commit.chain_id = chain;
    commit.generation = generation;
    for (int m = 0; m < 4; ++m)
        commit.values.emplace_back(fmt::format("m{}", m), base + generation + m / 10.0);
    commit.checkpoint = fmt::format("state of generation {}", generation);
    return commit;
}

SmallStudy fill_small_study(ResultsDb& db, const std::string& name = "small") {
    SmallStudy out;
    StudyRow study;
    study.name = name;
    study.config_toml = "[study]\nname = \"small\"\n";
    study.config_json = R"({"study":{"name":"small"}})";
    study.madlab_version = "0.1.0";
    out.study = db.add_study(study);
    out.setting_b = db.add_setting({0, out.study, 1, "b", "label of b", R"({"x":2})"});
    out.setting_a = db.add_setting({0, out.study, 0, "a", "label, of \"a\"", R"({"x":1})"});
    for (auto setting : {out.setting_a, out.setting_b})
        for (std::uint64_t seed : {7u, 3u}) {
            const auto chain = db.add_chain(setting, seed);
            out.chains.push_back(chain);
            for (int g = 0; g <= 2; ++g)
                db.commit_generation(make_commit(chain, g, 100.0 * chain + seed));
        }
    return out;
}

TEST_F(ResultsDbTest, StudiesSettingsChainsRoundTrip) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    EXPECT_EQ(db->path(), path_);
    const auto s = fill_small_study(*db);

    const auto studies = db->studies();
    ASSERT_EQ(studies.size(), 1u);
    EXPECT_EQ(studies[0].id, s.study);
    EXPECT_EQ(studies[0].name, "small");
    EXPECT_EQ(studies[0].config_toml, "[study]\nname = \"small\"\n");
    EXPECT_EQ(studies[0].config_json, R"({"study":{"name":"small"}})");
    EXPECT_EQ(studies[0].madlab_version, "0.1.0");
    EXPECT_EQ(studies[0].status, "running");
    EXPECT_TRUE(
        std::regex_match(studies[0].created_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
        << studies[0].created_at;
    db->set_study_status(s.study, "finished");
    ASSERT_TRUE(db->study(s.study));
    EXPECT_EQ(db->study(s.study)->status, "finished");
    EXPECT_FALSE(db->study(s.study + 100));
    EXPECT_THROW(db->set_study_status(s.study + 100, "failed"), Error);

    const auto settings = db->settings(s.study);
    ASSERT_EQ(settings.size(), 2u);
    EXPECT_EQ(settings[0].name, "a");  // by position, not insertion
    EXPECT_EQ(settings[0].id, s.setting_a);
    EXPECT_EQ(settings[0].study_id, s.study);
    EXPECT_EQ(settings[0].position, 0);
    EXPECT_EQ(settings[0].label, "label, of \"a\"");
    EXPECT_EQ(settings[0].params_json, R"({"x":1})");
    EXPECT_EQ(settings[1].name, "b");

    const auto chains = db->chains(s.setting_a);
    ASSERT_EQ(chains.size(), 2u);
    EXPECT_EQ(chains[0].seed, 3u);  // by seed
    EXPECT_EQ(chains[1].seed, 7u);
    EXPECT_EQ(chains[0].setting_id, s.setting_a);
    EXPECT_EQ(chains[0].last_generation, 2);
    const auto fresh = db->add_chain(s.setting_a, 11);
    EXPECT_EQ(db->chains(s.setting_a).back().id, fresh);
    EXPECT_EQ(db->chains(s.setting_a).back().last_generation, -1);

    EXPECT_EQ(db->metrics(s.study), (std::vector<std::string>{"m0", "m1", "m2", "m3"}));
}

TEST_F(ResultsDbTest, RecordsComeBackInOrderAndFilter) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const auto s = fill_small_study(*db);
    const auto other = fill_small_study(*db, "other");

    const auto all = db->records({});
    ASSERT_EQ(all.size(), 2u * 2 * 2 * 3 * 4);  // studies x settings x seeds x generations x m
    // Order: study, setting position, seed, generation, position.
    std::size_t i = 0;
    for (int study = 0; study < 2; ++study)
        for (const char* setting : {"a", "b"})
            for (std::uint64_t seed : {3u, 7u})
                for (int g = 0; g <= 2; ++g)
                    for (int m = 0; m < 4; ++m, ++i) {
                        EXPECT_EQ(all[i].setting, setting) << i;
                        EXPECT_EQ(all[i].seed, seed) << i;
                        EXPECT_EQ(all[i].generation, g) << i;
                        EXPECT_EQ(all[i].metric, fmt::format("m{}", m)) << i;
                    }

    RecordFilter filter;
    filter.study = "small";
    EXPECT_EQ(db->records(filter).size(), all.size() / 2);
    filter = {};
    filter.study_id = other.study;
    const auto second = db->records(filter);
    ASSERT_EQ(second.size(), all.size() / 2);
    EXPECT_TRUE(std::equal(second.begin(), second.end(), all.begin() + all.size() / 2,
                           [](const Record& a, const Record& b) {
                               return a.setting == b.setting && a.seed == b.seed &&
                                      a.generation == b.generation && a.metric == b.metric &&
                                      same_bits(a.value, b.value);
                           }));
    filter.setting = "b";
    filter.metric = "m2";
    filter.generation = 1;
    const auto one = db->records(filter);
    ASSERT_EQ(one.size(), 2u);  // two seeds
    EXPECT_EQ(one[0].seed, 3u);
    EXPECT_EQ(one[1].seed, 7u);
    for (const auto& r : one) {
        EXPECT_EQ(r.setting, "b");
        EXPECT_EQ(r.metric, "m2");
        EXPECT_EQ(r.generation, 1);
    }
    filter = {};
    filter.study = "no such study";
    EXPECT_TRUE(db->records(filter).empty());

    // record_rows: the same rows with study and label.
    filter = {};
    filter.study = "small";
    filter.setting = "a";
    const auto rows = db->record_rows(filter);
    const auto records = db->records(filter);
    ASSERT_EQ(rows.size(), records.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
        EXPECT_EQ(rows[k].study, "small");
        EXPECT_EQ(rows[k].study_id, s.study);
        EXPECT_EQ(rows[k].setting, "a");
        EXPECT_EQ(rows[k].label, "label, of \"a\"");
        EXPECT_EQ(rows[k].seed, records[k].seed);
        EXPECT_EQ(rows[k].generation, records[k].generation);
        EXPECT_EQ(rows[k].metric, records[k].metric);
        EXPECT_TRUE(same_bits(rows[k].value, records[k].value));
    }
}

TEST_F(ResultsDbTest, VisitedRecordsAreTheRecordsInTheSameOrder) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    fill_small_study(*db);
    const auto other = fill_small_study(*db, "other");
    RecordFilter filter;
    filter.study_id = other.study;
    const auto expected = db->records(filter);
    std::vector<Record> visited;
    db->visit_records(filter, [&](const Record& r) { visited.push_back(r); });
    ASSERT_EQ(visited.size(), 2u * 2 * 3 * 4);
    ASSERT_EQ(visited.size(), expected.size());
    for (std::size_t i = 0; i < visited.size(); ++i) {
        EXPECT_EQ(visited[i].setting, expected[i].setting);
        EXPECT_EQ(visited[i].seed, expected[i].seed);
        EXPECT_EQ(visited[i].generation, expected[i].generation);
        EXPECT_EQ(visited[i].metric, expected[i].metric);
        EXPECT_TRUE(same_bits(visited[i].value, expected[i].value));
    }
}

TEST_F(ResultsDbTest, GenerationRecordsAreOneSettingsGenerationBySeed) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const auto s = fill_small_study(*db);
    const auto block = db->generation_records(s.setting_b, 1);
    ASSERT_EQ(block.size(), 2u * 4);  // seeds x metrics
    // Seed 3 before seed 7 (they were added 7 first), metrics in committed order.
    for (std::size_t i = 0; i < block.size(); ++i) {
        EXPECT_EQ(block[i].setting, "b");
        EXPECT_EQ(block[i].seed, i < 4 ? 3u : 7u);
        EXPECT_EQ(block[i].generation, 1);
        EXPECT_EQ(block[i].metric, fmt::format("m{}", i % 4));
    }
    // make_commit's value: 100 * chain + seed + generation + m / 10; chains of b are 3rd, 4th.
    EXPECT_DOUBLE_EQ(block[0].value, 100.0 * s.chains[3] + 3 + 1);
    EXPECT_DOUBLE_EQ(block[5].value, 100.0 * s.chains[2] + 7 + 1 + 0.1);
    EXPECT_TRUE(db->generation_records(s.setting_b, 3).empty());
    EXPECT_TRUE(db->generation_records(s.setting_b + 100, 1).empty());
}

TEST_F(ResultsDbTest, AScratchDatabaseWritesAndReadsLikeAnyOther) {
    auto db = ResultsDb::open(path_, Mode::kScratch);
    const auto s = fill_small_study(*db);
    RecordFilter filter;
    filter.study_id = s.study;
    EXPECT_EQ(db->records(filter).size(), 2u * 2 * 3 * 4);
    ASSERT_TRUE(db->checkpoint(s.chains[0]));
    EXPECT_EQ(*db->checkpoint(s.chains[0]), "state of generation 2");
    // No write-ahead log: the journal stays in memory.
    EXPECT_FALSE(fs::exists(path_ + "-wal"));
}

TEST_F(ResultsDbTest, ACommitWithoutCheckpointKeepsTheChainsLastOne) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const auto study = db->add_study({0, "sparse", "", "", "", "", ""});
    const auto setting = db->add_setting({0, study, 0, "s", "", ""});
    const auto chain = db->add_chain(setting, 0);
    db->commit_generation({chain, 0, {{"m", 0.0}}, "state 0"});
    db->commit_generations({{chain, 1, {{"m", 1.0}}, ""},
                            {chain, 2, {{"m", 2.0}}, "state 2"},
                            {chain, 3, {{"m", 3.0}}, ""}});
    EXPECT_EQ(*db->checkpoint(chain), "state 2");
    EXPECT_EQ(db->chains(setting)[0].last_generation, 3);
    // Resumed from generation 2's state, the chain recomputes generation 3 (the same values,
    // skipped) and goes on.
    db->commit_generations({{chain, 3, {{"m", 3.0}}, ""}, {chain, 4, {{"m", 4.0}}, "state 4"}});
    EXPECT_EQ(*db->checkpoint(chain), "state 4");
    EXPECT_EQ(db->chains(setting)[0].last_generation, 4);
    EXPECT_EQ(db->records({}).size(), 5u);
    // NaN recomputed as NaN is the same value.
    db->commit_generation({chain, 5, {{"m", std::nan("")}}, ""});
    db->commit_generation({chain, 5, {{"m", std::nan("")}}, ""});
    EXPECT_EQ(db->records({}).size(), 6u);
}

TEST_F(ResultsDbTest, ValuesAreBitExact) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const auto study = db->add_study({0, "exact", "", "", "0.1.0", "", ""});
    const auto setting = db->add_setting({0, study, 0, "s", "", ""});
    const auto chain = db->add_chain(setting, 1);
    GenerationCommit commit{chain, 0, {}, ""};
    for (std::size_t i = 0; i < kTrickyValues.size(); ++i)
        commit.values.emplace_back(fmt::format("v{}", i), kTrickyValues[i]);
    commit.values.emplace_back("nan", std::numeric_limits<double>::quiet_NaN());
    db->commit_generation(commit);
    db.reset();

    const auto reader = ResultsDb::open(path_, Mode::kReadOnly);
    const auto records = reader->records({});
    ASSERT_EQ(records.size(), kTrickyValues.size() + 1);
    for (std::size_t i = 0; i < kTrickyValues.size(); ++i) {
        EXPECT_EQ(records[i].metric, fmt::format("v{}", i));
        EXPECT_TRUE(same_bits(records[i].value, kTrickyValues[i]))
            << i << ": " << records[i].value << " != " << kTrickyValues[i];
    }
    EXPECT_TRUE(std::isnan(records.back().value));  // stored as NULL, read back as NaN
}

TEST_F(ResultsDbTest, LargeSeedsRoundTripAndSortUnsigned) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const auto study = db->add_study({0, "seeds", "", "", "", "", ""});
    const auto setting = db->add_setting({0, study, 0, "s", "", ""});
    const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t half = std::uint64_t(1) << 63;
    for (std::uint64_t seed : {big, half, std::uint64_t(5)}) {
        const auto chain = db->add_chain(setting, seed);
        db->commit_generation({chain, 0, {{"m", 1.0}}, ""});
    }
    const auto chains = db->chains(setting);
    ASSERT_EQ(chains.size(), 3u);
    EXPECT_EQ(chains[0].seed, 5u);
    EXPECT_EQ(chains[1].seed, half);
    EXPECT_EQ(chains[2].seed, big);
    const auto records = db->records({});
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].seed, 5u);
    EXPECT_EQ(records[1].seed, half);
    EXPECT_EQ(records[2].seed, big);
    // The same order when a whole study is visited (chain by chain).
    RecordFilter filter;
    filter.study_id = study;
    std::vector<std::uint64_t> visited;
    db->visit_records(filter, [&](const Record& r) { visited.push_back(r.seed); });
    EXPECT_EQ(visited, (std::vector<std::uint64_t>{5u, half, big}));
}

TEST_F(ResultsDbTest, CheckpointIsReplacedAndKeepsBinaryBytes) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const auto study = db->add_study({0, "ckpt", "", "", "", "", ""});
    const auto setting = db->add_setting({0, study, 0, "s", "", ""});
    const auto chain = db->add_chain(setting, 0);
    EXPECT_FALSE(db->checkpoint(chain));

    const std::string first("\x00\x01zero\x00inside\xff\xfe", 14);
    db->commit_generation({chain, 0, {{"m", 1.0}}, first});
    ASSERT_TRUE(db->checkpoint(chain));
    EXPECT_EQ(*db->checkpoint(chain), first);

    std::string second(100000, '\0');
    for (std::size_t i = 0; i < second.size(); ++i) second[i] = static_cast<char>(i * 7 % 256);
    db->commit_generation({chain, 1, {{"m", 2.0}}, second});
    EXPECT_EQ(*db->checkpoint(chain), second);

    db->commit_generation({chain, 2, {{"m", 3.0}}, ""});  // no state: the last one stays
    ASSERT_TRUE(db->checkpoint(chain));
    EXPECT_EQ(*db->checkpoint(chain) == second, true);
    db.reset();
    const auto reader = ResultsDb::open(path_, Mode::kReadOnly);
    EXPECT_EQ(*reader->checkpoint(chain) == second, true);
    EXPECT_EQ(reader->chains(setting)[0].last_generation, 2);
}

TEST_F(ResultsDbTest, GenerationGapIsAnErrorAndWritesNothing) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const auto study = db->add_study({0, "gap", "", "", "", "", ""});
    const auto setting = db->add_setting({0, study, 0, "s", "", ""});
    const auto chain = db->add_chain(setting, 0);
    expect_error(
        [&] {
            db->commit_generation({chain, 1, {{"m", 1.0}}, "x"});
        },
        {"generation 1", "-1", "must be 0"});
    db->commit_generation({chain, 0, {{"m", 1.0}}, "zero"});
    expect_error(
        [&] {
            db->commit_generation({chain, 2, {{"m", 1.0}}, "two"});
        },
        {"generation 2", "is 0", "must be 1"});
    // Generation 0 again, recomputed after a resume from an older checkpoint: skipped, the
    // committed value stays; its state becomes the checkpoint only when its values agree.
    db->commit_generation({chain, 0, {{"m", 1.5}}, "other bits"});
    EXPECT_EQ(*db->checkpoint(chain), "zero");
    db->commit_generation({chain, 0, {{"m", 1.0}, {"extra", 2.0}}, "more values"});
    EXPECT_EQ(*db->checkpoint(chain), "zero");
    db->commit_generation({chain, 0, {{"m", 1.0}}, "again"});
    EXPECT_EQ(*db->checkpoint(chain), "again");
    expect_error(
        [&] {
            db->commit_generation({chain + 50, 0, {{"m", 1.0}}, ""});
        },
        {"no chain with id"});
    EXPECT_EQ(db->records({}).size(), 1u);
    EXPECT_EQ(db->records({})[0].value, 1.0);
    EXPECT_EQ(*db->checkpoint(chain), "again");
    EXPECT_EQ(db->chains(setting)[0].last_generation, 0);
    // A duplicate metric position cannot happen, but a duplicate setting or seed can.
    EXPECT_THROW(db->add_setting({0, study, 1, "s", "", ""}), Error);
    EXPECT_THROW(db->add_chain(setting, 0), Error);
    EXPECT_THROW(db->add_setting({0, study + 9, 0, "t", "", ""}), Error);  // no such study
    db->commit_generation({chain, 1, {{"m", 2.0}}, "one"});
    EXPECT_EQ(db->records({}).size(), 2u);
}

TEST_F(ResultsDbTest, SecondWriterIsRefusedInTheSameProcess) {
    auto writer = ResultsDb::open(path_, Mode::kReadWrite);
    expect_error([&] { ResultsDb::open(path_, Mode::kReadWrite); },
                 {path_, path_ + ".lock", "in use by another madlab run", "--db"});
    // Readers need no lock and see committed data while the writer is open.
    const auto s = fill_small_study(*writer);
    const auto reader = ResultsDb::open(path_, Mode::kReadOnly);
    EXPECT_EQ(reader->records({}).size(), 2u * 2 * 3 * 4);
    EXPECT_EQ(reader->studies().at(0).id, s.study);
    // The lock goes with the writer.
    writer.reset();
    EXPECT_NO_THROW(ResultsDb::open(path_, Mode::kReadWrite));
}

TEST_F(ResultsDbTest, SecondWriterIsRefusedInAnotherProcess) {
    auto writer = ResultsDb::open(path_, Mode::kReadWrite);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // 0: refused with the lock message; 1: opened; 2: another error.
        int code = 2;
        try {
            ResultsDb::open(path_, Mode::kReadWrite);
            code = 1;
        } catch (const Error& e) {
            if (std::string(e.what()).find("in use by another madlab run") != std::string::npos)
                code = 0;
        }
        _exit(code);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(ResultsDbTest, ALinkPlantedAtTheLockFileIsRefusedNotFollowed) {
    const fs::path victim = dir_ / "victim.txt";
    fs::create_symlink(victim, path_ + ".lock");  // a link to a file that does not exist yet
    expect_error([&] { ResultsDb::open(path_, Mode::kReadWrite); },
                 {path_ + ".lock", "symbolic link", "remove the link"});
    EXPECT_FALSE(fs::exists(victim));  // not created through the link
    std::ofstream(victim) << "precious";
    expect_error([&] { ResultsDb::open(path_, Mode::kReadWrite); }, {"symbolic link"});
    std::ifstream in(victim);
    std::string text;
    std::getline(in, text);
    EXPECT_EQ(text, "precious");
}

TEST_F(ResultsDbTest, ReadOnlyRefusesWrites) {
    ResultsDb::open(path_, Mode::kReadWrite);
    const auto reader = ResultsDb::open(path_, Mode::kReadOnly);
    expect_error([&] { reader->add_study({0, "x", "", "", "", "", ""}); }, {"read-only"});
    EXPECT_THROW(reader->commit_generation({1, 0, {}, ""}), Error);
    EXPECT_TRUE(reader->studies().empty());
}

TEST_F(ResultsDbTest, MissingFileReadOnlyIsADataErrorNamingThePath) {
    const std::string missing = (dir_ / "missing.db").string();
    expect_error<DataError>([&] { ResultsDb::open(missing, Mode::kReadOnly); },
                            {missing, "does not exist"});
    EXPECT_FALSE(fs::exists(missing));
    expect_error<DataError>([&] { ResultsDb::open(dir_.string(), Mode::kReadOnly); },
                            {dir_.string(), "folder"});
    const std::string nowhere = (dir_ / "no" / "such" / "folder.db").string();
    expect_error([&] { ResultsDb::open(nowhere, Mode::kReadWrite); }, {nowhere, "folder"});
}

TEST_F(ResultsDbTest, GarbageFileIsRefusedAndLeftUntouched) {
    std::string garbage;
    for (int i = 0; i < 5000; ++i) garbage += static_cast<char>((i * 31 + 7) % 256);
    std::ofstream(path_, std::ios::binary) << garbage;
    for (Mode mode : {Mode::kReadOnly, Mode::kReadWrite})
        expect_error<DataError>([&] { ResultsDb::open(path_, mode); },
                                {path_, "not a madlab results database"});
    std::ifstream in(path_, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    EXPECT_EQ(content.str(), garbage);

    // A text file that is too short to have a SQLite header.
    const std::string text = (dir_ / "notes.txt").string();
    std::ofstream(text) << "hello\n";
    expect_error<DataError>([&] { ResultsDb::open(text, Mode::kReadOnly); },
                            {text, "not a madlab results database"});
}

TEST_F(ResultsDbTest, OtherSqliteDatabaseIsRefused) {
    raw_sql("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');");
    for (Mode mode : {Mode::kReadOnly, Mode::kReadWrite})
        expect_error<DataError>([&] { ResultsDb::open(path_, mode); },
                                {path_, "not a madlab results database"});
}

TEST_F(ResultsDbTest, EmptyFileBecomesADatabaseOnlyForWriting) {
    std::ofstream(path_).close();
    expect_error<DataError>([&] { ResultsDb::open(path_, Mode::kReadOnly); }, {path_, "empty"});
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    EXPECT_TRUE(db->studies().empty());
}

TEST_F(ResultsDbTest, NewerSchemaVersionIsRefused) {
    {
        auto db = ResultsDb::open(path_, Mode::kReadWrite);
        fill_small_study(*db);
    }
    raw_sql("PRAGMA user_version = 99");
    for (Mode mode : {Mode::kReadOnly, Mode::kReadWrite})
        expect_error<DataError>([&] { ResultsDb::open(path_, mode); },
                                {path_, "version 99", "newer madlab"});
}

TEST_F(ResultsDbTest, SchemaHasTheDocumentedPragmasAndView) {
    { auto db = ResultsDb::open(path_, Mode::kReadWrite); }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    auto scalar = [&](const char* sql) {
        sqlite3_stmt* statement = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(raw, sql, -1, &statement, nullptr), SQLITE_OK) << sql;
        std::string out;
        if (sqlite3_step(statement) == SQLITE_ROW)
            out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        sqlite3_finalize(statement);
        return out;
    };
    EXPECT_EQ(scalar("PRAGMA user_version"), "3");
    EXPECT_EQ(scalar("PRAGMA journal_mode"), "wal");
    for (const char* view : {"results", "results_wide"})
        EXPECT_EQ(scalar(("SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = '" +
                          std::string(view) + "'")
                             .c_str()),
                  "1")
            << view;
    for (const char* table : {"studies", "settings", "chains", "records", "checkpoints", "samples",
                              "setting_parameters"})
        EXPECT_EQ(scalar(("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" +
                          std::string(table) + "'")
                             .c_str()),
                  "1")
            << table;
    sqlite3_close(raw);
}

SampleSet make_points(const std::string& kind, std::size_t rows, double base) {
    SampleSet set;
    set.kind = kind;
    set.columns = 2;
    for (std::size_t i = 0; i < 2 * rows; ++i) set.values.push_back(base + i / 3.0);
    return set;
}

TEST_F(ResultsDbTest, SamplesRoundTripExactlyWithTheirChain) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const SmallStudy s = fill_small_study(*db);
    // Chain 0 is setting a, seed 7: generation 3 keeps model points (with a NaN, stored as
    // JSON null) and the real points; setting b's first chain keeps text lines.
    GenerationCommit commit = make_commit(s.chains[0], 3, 0.0);
    commit.samples.push_back(make_points("real", 3, -1.0));
    SampleSet model = make_points("model", 2, 0.1);
    model.values[1] = std::numeric_limits<double>::quiet_NaN();
    commit.samples.push_back(model);
    db->commit_generation(commit);
    GenerationCommit text = make_commit(s.chains[2], 3, 0.0);
    SampleSet lines;
    lines.kind = "model";
    lines.lines = {"en un lugar de la Mancha", "\"quoted\" </script> ñ", ""};
    text.samples.push_back(lines);
    db->commit_generation(text);

    const auto rows = db->samples(s.study);
    ASSERT_EQ(rows.size(), 3u);
    // Ordered by setting position (a before b), seed, generation, kind ("model" < "real").
    EXPECT_EQ(rows[0].setting, "a");
    EXPECT_EQ(rows[0].seed, 7u);
    EXPECT_EQ(rows[0].generation, 3);
    EXPECT_EQ(rows[0].samples.kind, "model");
    ASSERT_EQ(rows[0].samples.values.size(), 4u);
    EXPECT_TRUE(std::isnan(rows[0].samples.values[1]));
    for (std::size_t i : {0u, 2u, 3u})
        EXPECT_TRUE(same_bits(rows[0].samples.values[i], model.values[i]));
    EXPECT_EQ(rows[1].samples.kind, "real");
    EXPECT_EQ(rows[1].samples.rows(), 3u);
    for (std::size_t i = 0; i < 6; ++i)
        EXPECT_TRUE(same_bits(rows[1].samples.values[i], -1.0 + i / 3.0));
    EXPECT_EQ(rows[2].setting, "b");
    EXPECT_EQ(rows[2].samples.columns, 0u);
    EXPECT_EQ(rows[2].samples.lines, lines.lines);
    // Another study sees none of them.
    EXPECT_TRUE(db->samples(s.study + 1).empty());
}

TEST_F(ResultsDbTest, TwoSampleSetsOfOneKindFailTheWholeCommit) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const SmallStudy s = fill_small_study(*db);
    GenerationCommit commit = make_commit(s.chains[0], 3, 0.0);
    commit.samples = {make_points("model", 2, 0.0), make_points("model", 2, 1.0)};
    expect_error([&] { db->commit_generation(commit); }, {"two sample sets", "'model'"});
    EXPECT_EQ(db->chains(s.setting_a)[1].last_generation, 2);  // seed 7 (sorted after 3)
    RecordFilter filter;
    filter.generation = 3;
    EXPECT_TRUE(db->records(filter).empty());
    EXPECT_TRUE(db->samples(s.study).empty());
}

TEST_F(ResultsDbTest, VersionOneFileReadsWithoutSamplesAndMigratesWhenWritten) {
    std::int64_t study = 0;
    std::int64_t chain = 0;
    {
        auto db = ResultsDb::open(path_, Mode::kReadWrite);
        const SmallStudy s = fill_small_study(*db);
        study = s.study;
        chain = s.chains[0];
    }
    // What madlab 0.1 wrote: the same tables without `samples` (nor the parameters of version
    // 3), user_version 1.
    raw_sql(
        "DROP VIEW results_wide; DROP TABLE setting_parameters; DROP TABLE samples; "
        "PRAGMA user_version = 1");
    {
        auto reader = ResultsDb::open(path_, Mode::kReadOnly);
        EXPECT_TRUE(reader->samples(study).empty());
        EXPECT_EQ(reader->records(RecordFilter{}).size(), 48u);  // 4 chains x 3 generations x 4
    }
    {
        auto writer = ResultsDb::open(path_, Mode::kReadWrite);
        GenerationCommit commit = make_commit(chain, 3, 0.0);
        commit.samples.push_back(make_points("model", 1, 5.0));
        writer->commit_generation(commit);
        ASSERT_EQ(writer->samples(study).size(), 1u);
        EXPECT_EQ(writer->samples(study)[0].samples.values,
                  (std::vector<double>{5.0, 5.0 + 1 / 3.0}));
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &statement, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(statement, 0), 3);
    sqlite3_finalize(statement);
    sqlite3_close(raw);
}

// The rows of a query on the file, each as its columns' text ("NULL" for NULL), with a raw
// connection.
std::vector<std::vector<std::string>> query(const std::string& path, const std::string& sql) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(raw, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(raw);
    std::vector<std::vector<std::string>> rows;
    while (statement && sqlite3_step(statement) == SQLITE_ROW) {
        auto& row = rows.emplace_back();
        for (int i = 0; i < sqlite3_column_count(statement); ++i) {
            const auto* text = sqlite3_column_text(statement, i);
            row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
        }
    }
    sqlite3_finalize(statement);
    sqlite3_close(raw);
    return rows;
}

using Parameters = std::vector<std::pair<std::string, std::string>>;

TEST_F(ResultsDbTest, ParametersRoundTripAndAreColumnsOfResultsWide) {
    std::int64_t first = 0, second = 0;
    {
        auto db = ResultsDb::open(path_, Mode::kReadWrite);
        const SmallStudy s = fill_small_study(*db);
        first = s.study;
        // The small study has no parameters; a second study has two, then a third adds one.
        second = db->add_study(StudyRow{0, "sweep", "", "", "", "", "running"});
        const Parameters p0 = {{"schedule.n_real_fresh", "500"}, {"model.bias", "0.9"}};
        const Parameters p1 = {{"schedule.n_real_fresh", "0"}, {"model.bias", "1.0"}};
        SettingRow setting{0, second, 0, "n500", "n=500", "{}", p0};
        db->add_chain(db->add_setting(setting), 4);
        setting = {0, second, 1, "n0", "n=0", "{}", p1};
        db->commit_generation(make_commit(db->add_chain(db->add_setting(setting), 4), 0, 1.0));
        const std::int64_t third = db->add_study(StudyRow{0, "kinds", "", "", "", "", ""});
        const Parameters p2 = {{"source.kind", "\"it's\""},
                               {"model.bias", "null"},
                               {"schedule.accumulate", "true"},
                               {"source.mean", "[1,2]"}};
        setting = {0, third, 0, "only", "only", "{}", p2};
        db->commit_generation(make_commit(db->add_chain(db->add_setting(setting), 1), 0, 2.0));
        const auto settings = db->settings(second);
        ASSERT_EQ(settings.size(), 2u);
        EXPECT_EQ(settings[0].parameters, p0);
        EXPECT_EQ(settings[1].parameters, p1);
        EXPECT_TRUE(db->settings(first)[0].parameters.empty());
        // Booleans come back as 1/0 and arrays as their JSON text.
        EXPECT_EQ(db->settings(third)[0].parameters, (Parameters{{"source.kind", "\"it's\""},
                                                                 {"model.bias", "null"},
                                                                 {"schedule.accumulate", "1"},
                                                                 {"source.mean", "\"[1,2]\""}}));
    }
    // The keys of the first study that has them in its order, then the new ones.
    const auto columns =
        query(path_, "SELECT name FROM pragma_table_info('results_wide') WHERE cid >= 10");
    EXPECT_EQ(columns, (std::vector<std::vector<std::string>>{{"schedule.n_real_fresh"},
                                                              {"model.bias"},
                                                              {"source.kind"},
                                                              {"schedule.accumulate"},
                                                              {"source.mean"}}));
    EXPECT_EQ(
        query(path_,
              "SELECT study, setting, \"schedule.n_real_fresh\", typeof(\"model.bias\"), "
              "\"model.bias\", \"source.kind\" FROM results_wide WHERE position = 0 AND "
              "study <> 'small' ORDER BY study_id, setting_position"),
        (std::vector<std::vector<std::string>>{{"sweep", "n0", "0", "real", "1.0", "NULL"},
                                               {"kinds", "only", "NULL", "null", "NULL", "it's"}}));
    // Every row of `results` is in results_wide, the small study's without parameters.
    EXPECT_EQ(query(path_, "SELECT count(*) FROM results_wide")[0][0],
              query(path_, "SELECT count(*) FROM results")[0][0]);
    EXPECT_EQ(query(path_,
                    "SELECT count(*) FROM results_wide WHERE study = 'small' AND "
                    "\"model.bias\" IS NULL")[0][0],
              "48");
}

TEST_F(ResultsDbTest, VersionTwoFileReadsWithoutParametersAndMigratesWhenWritten) {
    {
        auto db = ResultsDb::open(path_, Mode::kReadWrite);
        fill_small_study(*db);
    }
    // What madlab wrote before the parameter columns: user_version 2.
    raw_sql("DROP VIEW results_wide; DROP TABLE setting_parameters; PRAGMA user_version = 2");
    {
        auto reader = ResultsDb::open(path_, Mode::kReadOnly);
        ASSERT_EQ(reader->settings(1).size(), 2u);
        EXPECT_TRUE(reader->settings(1)[0].parameters.empty());
        EXPECT_EQ(reader->records(RecordFilter{}).size(), 48u);
    }
    EXPECT_EQ(query(path_, "PRAGMA user_version")[0][0], "2");
    {
        auto writer = ResultsDb::open(path_, Mode::kReadWrite);
        const std::int64_t study = writer->add_study(StudyRow{0, "new", "", "", "", "", ""});
        writer->add_setting({0, study, 0, "s", "s", "{}", {{"model.bias", "0.5"}}});
        EXPECT_EQ(writer->settings(study)[0].parameters, (Parameters{{"model.bias", "0.5"}}));
    }
    EXPECT_EQ(query(path_, "PRAGMA user_version")[0][0], "3");
    EXPECT_EQ(query(path_, "SELECT count(*), count(\"model.bias\") FROM results_wide")[0],
              (std::vector<std::string>{"48", "0"}));
}

TEST_F(ResultsDbTest, DroppingAStudysCheckpointsShrinksTheFile) {
    std::int64_t study = 0;
    std::size_t bytes = 0;
    {
        auto db = ResultsDb::open(path_, Mode::kReadWrite);
        const SmallStudy s = fill_small_study(*db);
        study = s.study;
        // A second study keeps its checkpoint.
        const SmallStudy other = fill_small_study(*db, "other");
        // Each chain of the first study gets a checkpoint of 64 KiB.
        for (std::size_t i = 0; i < s.chains.size(); ++i) {
            GenerationCommit commit = make_commit(s.chains[i], 3, 0.0);
            commit.checkpoint.assign(65536, static_cast<char>('a' + i));
            bytes += commit.checkpoint.size();
            db->commit_generation(commit);
        }
        EXPECT_EQ(db->checkpoint(other.chains[0]), "state of generation 2");
    }
    const std::int64_t page = std::stoll(query(path_, "PRAGMA page_size")[0][0]);
    const std::int64_t before = std::stoll(query(path_, "PRAGMA page_count")[0][0]);
    {
        auto db = ResultsDb::open(path_, Mode::kReadWrite);
        EXPECT_EQ(db->drop_checkpoints(study), 4u);
        for (const auto& setting : db->settings(study))
            for (const auto& chain : db->chains(setting.id))
                EXPECT_FALSE(db->checkpoint(chain.id).has_value());
        EXPECT_EQ(db->records(RecordFilter{}).size(), 2u * 48 + 4 * 4);  // untouched
        EXPECT_EQ(db->drop_checkpoints(study), 0u);                      // nothing left
    }
    EXPECT_EQ(query(path_, "SELECT count(*) FROM checkpoints")[0][0], "4");  // the other study's
    // The 4 blobs filled at least bytes / page - 4 overflow pages, which VACUUM gives back.
    const std::int64_t after = std::stoll(query(path_, "PRAGMA page_count")[0][0]);
    EXPECT_LE(after, before - static_cast<std::int64_t>(bytes) / page + 4) << before;
    EXPECT_EQ(static_cast<std::int64_t>(fs::file_size(path_)), after * page);
}

TEST_F(ResultsDbTest, CommittedGenerationsSurviveCloseAndReopen) {
    std::vector<std::int64_t> chains;
    {
        auto db = ResultsDb::open(path_, Mode::kReadWrite);
        chains = fill_small_study(*db).chains;
    }
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    EXPECT_EQ(db->records({}).size(), 2u * 2 * 3 * 4);
    for (auto chain : chains) EXPECT_EQ(*db->checkpoint(chain), "state of generation 2");
    db->commit_generation(make_commit(chains[0], 3, 0.0));  // resumes where it stopped
    db.reset();
    EXPECT_EQ(ResultsDb::open(path_, Mode::kReadOnly)->records({}).size(), 2u * 2 * 3 * 4 + 4);
}

TEST_F(ResultsDbTest, CommittedGenerationsSurviveAProcessCrash) {
    // The child commits and dies without closing anything (as after kill -9): the WAL holds the
    // commits, and the next open recovers them.
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto db = ResultsDb::open(path_, Mode::kReadWrite);
        fill_small_study(*db);
        (void)db.release();  // never closed
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_TRUE(fs::exists(path_ + "-wal"));
    // The dead writer's lock is gone with its process.
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const auto records = db->records({});
    EXPECT_EQ(records.size(), 2u * 2 * 3 * 4);
    for (const auto& chain : db->chains(db->settings(db->studies().at(0).id).at(0).id))
        EXPECT_EQ(chain.last_generation, 2);
}

TEST_F(ResultsDbTest, ConcurrentCommitsFromSeveralThreads) {
    auto db = ResultsDb::open(path_, Mode::kReadWrite);
    const auto study = db->add_study({0, "threads", "", "", "", "", ""});
    const auto setting = db->add_setting({0, study, 0, "s", "", ""});
    constexpr int kThreads = 8, kGenerations = 25;
    std::vector<std::int64_t> chains;
    for (int t = 0; t < kThreads; ++t) chains.push_back(db->add_chain(setting, t));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int g = 0; g < kGenerations; ++g) {
                db->commit_generation(make_commit(chains[t], g, t));
                (void)db->records({std::nullopt, std::nullopt, std::nullopt, "m0", g});
            }
        });
    for (auto& thread : threads) thread.join();
    const auto records = db->records({});
    ASSERT_EQ(records.size(), std::size_t(kThreads) * kGenerations * 4);
    for (std::size_t i = 0; i < records.size(); ++i) {
        const int seed = static_cast<int>(i / (kGenerations * 4));
        const int g = static_cast<int>(i / 4 % kGenerations);
        EXPECT_EQ(records[i].seed, std::uint64_t(seed));
        EXPECT_EQ(records[i].generation, g);
        EXPECT_EQ(records[i].value, seed + g + static_cast<double>(i % 4) / 10.0);
    }
}

}  // namespace
}  // namespace madlab
