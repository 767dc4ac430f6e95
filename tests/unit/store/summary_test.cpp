#include "madlab/store/summary.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "madlab/core/error.h"
#include "madlab/store/record_files.h"
#include "madlab/store/results_db.h"

namespace madlab {
namespace {

TEST(Summarize, MeanStdAndIntervalOfKnownValues) {
    std::vector<Record> records;
    // Values 1, 2, 3, 4 for one key: mean 2.5, sd sqrt(5/3), half-width t_3 * sd / 2.
    for (int s = 0; s < 4; ++s) records.push_back({"a", std::uint64_t(s), 0, "m", 1.0 + s});
    records.push_back({"b", 0, 0, "m", 7.0});
    const auto rows = summarize(records);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].setting, "a");
    EXPECT_EQ(rows[0].count, 4u);
    EXPECT_DOUBLE_EQ(rows[0].mean, 2.5);
    EXPECT_NEAR(rows[0].std, std::sqrt(5.0 / 3.0), 1e-12);
    const double half = 3.1824 * std::sqrt(5.0 / 3.0) / 2.0;
    EXPECT_NEAR(rows[0].ci95_low, 2.5 - half, 1e-9);
    EXPECT_NEAR(rows[0].ci95_high, 2.5 + half, 1e-9);
    EXPECT_DOUBLE_EQ(rows[0].median, 2.5);
    // A single value: interval collapses to it.
    EXPECT_EQ(rows[1].setting, "b");
    EXPECT_DOUBLE_EQ(rows[1].ci95_low, 7.0);
    EXPECT_DOUBLE_EQ(rows[1].ci95_high, 7.0);
}

TEST(Summarize, OrdersBySettingAppearanceThenGeneration) {
    std::vector<Record> records = {{"z", 0, 2, "m", 1}, {"a", 0, 1, "m", 1}, {"z", 0, 0, "m", 1}};
    const auto rows = summarize(records);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].setting, "z");
    EXPECT_EQ(rows[0].generation, 0);
    EXPECT_EQ(rows[1].generation, 2);
    EXPECT_EQ(rows[2].setting, "a");
}

TEST(Summarize, MedianAndCollapsedFraction) {
    std::vector<Record> records;
    const double values[] = {5, 1, 100};
    const double collapsed[] = {1, 0, 1};
    for (int s = 0; s < 3; ++s) {
        records.push_back({"a", std::uint64_t(s), 3, "m", values[s]});
        records.push_back({"a", std::uint64_t(s), 3, "collapsed", collapsed[s]});
    }
    const auto rows = summarize(records);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_DOUBLE_EQ(rows[0].median, 5.0);
    EXPECT_DOUBLE_EQ(rows[0].collapsed_fraction, 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(rows[1].collapsed_fraction, 2.0 / 3.0);
}

TEST(Summarize, MetricsFollowTheirFirstAppearanceInGenerationOrder) {
    // Generation 0 has only "m"; "late" appears at generation 1 of seed 1 and "n" at generation
    // 1 of seed 0: within a generation, metrics come in the order they first appeared.
    std::vector<Record> records = {{"a", 0, 0, "m", 1},
                                   {"a", 0, 1, "n", 2},
                                   {"a", 0, 1, "m", 3},
                                   {"a", 1, 0, "m", 4},
                                   {"a", 1, 1, "late", 5}};
    const auto rows = summarize(records);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0].metric, "m");
    EXPECT_EQ(rows[0].generation, 0);
    EXPECT_DOUBLE_EQ(rows[0].mean, 2.5);
    EXPECT_EQ(rows[1].metric, "m");
    EXPECT_EQ(rows[1].generation, 1);
    EXPECT_EQ(rows[2].metric, "n");
    EXPECT_EQ(rows[3].metric, "late");
    EXPECT_EQ(rows[3].count, 1u);
}

// A chain whose last_generation says billions (a damaged or edited file; the results_db_fuzz
// target found it, corpus/results_db/regression-huge-last-generation): the summary is made from
// the generations that hold records, at once, instead of asking for every generation up to it.
TEST(Summarize, AChainsHugeLastGenerationDoesNotRunForever) {
    const auto path = std::filesystem::temp_directory_path() / "madlab_summary_huge_test.sqlite";
    std::filesystem::remove(path);
    {
        auto db = ResultsDb::open(path.string(), ResultsDb::Mode::kReadWrite);
        const auto id = db->add_study({.name = "s"});
        const auto setting = db->add_setting({0, id, 0, "a", "", "{}"});
        const auto chain = db->add_chain(setting, 1);
        for (int g : {0, 1, 2})
            db->commit_generation(
                {.chain_id = chain, .generation = g, .values = {{"recall", 0.25 * g}}});
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "UPDATE chains SET last_generation = 2147483647", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
    {
        auto db = ResultsDb::open(path.string(), ResultsDb::Mode::kReadOnly);
        const auto rows = summarize_study(*db, db->studies().front().id);
        ASSERT_EQ(rows.size(), 3u);
        EXPECT_EQ(rows[0].generation, 0);
        EXPECT_EQ(rows[2].generation, 2);
        EXPECT_EQ(rows[2].mean, 0.5);
    }
    std::filesystem::remove(path);
}

TEST(Summarize, FromTheDatabaseEqualsFromTheRecords) {
    const auto path = std::filesystem::temp_directory_path() / "madlab_summary_db_test.sqlite";
    std::filesystem::remove(path);
    {
        auto db = ResultsDb::open(path.string(), ResultsDb::Mode::kReadWrite);
        StudyRow study;
        study.name = "s";
        const auto id = db->add_study(study);
        // Settings added out of position order, seeds out of order, uneven generations, a
        // metric that only some generations have, and a collapsed flag.
        const auto b = db->add_setting({0, id, 1, "b", "", "{}"});
        const auto a = db->add_setting({0, id, 0, "a", "", "{}"});
        for (auto setting : {b, a})
            for (std::uint64_t seed : {9u, 2u, 5u}) {
                const auto chain = db->add_chain(setting, seed);
                const int last = seed == 5 ? 1 : 3;
                for (int g = 0; g <= last; ++g) {
                    GenerationCommit commit;
                    commit.chain_id = chain;
                    commit.generation = g;
                    commit.values = {{"frechet", 1.0 / (seed + g + 1) + setting},
                                     {"collapsed", (seed + g) % 2 == 0 ? 1.0 : 0.0}};
                    if (g % 2 == 1) commit.values.push_back({"odd", std::sqrt(g + seed)});
                    db->commit_generation(commit);
                }
            }
        RecordFilter filter;
        filter.study_id = id;
        const auto expected = summarize(db->records(filter));
        const auto rows = summarize_study(*db, id);
        ASSERT_EQ(expected.size(), 2u * (4 * 2 + 2));  // settings x (generations x 2 + odd ones)
        ASSERT_EQ(rows.size(), expected.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            EXPECT_EQ(rows[i].setting, expected[i].setting) << i;
            EXPECT_EQ(rows[i].generation, expected[i].generation) << i;
            EXPECT_EQ(rows[i].metric, expected[i].metric) << i;
            EXPECT_EQ(rows[i].count, expected[i].count) << i;
            EXPECT_EQ(rows[i].mean, expected[i].mean) << i;  // same values, same order
            EXPECT_EQ(rows[i].median, expected[i].median) << i;
            EXPECT_EQ(rows[i].ci95_high, expected[i].ci95_high) << i;
            EXPECT_EQ(rows[i].collapsed_fraction, expected[i].collapsed_fraction) << i;
        }
        EXPECT_EQ(rows.front().setting, "a");  // by position
        EXPECT_EQ(rows.front().count, 3u);
        EXPECT_EQ(rows[7].generation, 3);  // generation 3: seeds 2 and 9 only
        EXPECT_EQ(rows[7].metric, "frechet");
        EXPECT_EQ(rows[7].count, 2u);
    }
    std::filesystem::remove(path);
}

TEST(RecordsCsv, RoundTripsExactly) {
    std::vector<Record> records = {
        {"plain", 3, 0, "frechet", 0.1 + 0.2},
        {"with, comma \"q\"", 18446744073709551615ull, 20, "nll", -1.2345678901234567e-300},
        {"x", 0, 1, "recall", 1.0 / 3.0}};
    const std::string text = records_to_csv(records);
    EXPECT_EQ(text.substr(0, text.find('\n')), "setting,seed,generation,metric,value");
    const auto back = records_from_csv(text);
    ASSERT_EQ(back.size(), records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(back[i].setting, records[i].setting);
        EXPECT_EQ(back[i].seed, records[i].seed);
        EXPECT_EQ(back[i].generation, records[i].generation);
        EXPECT_EQ(back[i].metric, records[i].metric);
        EXPECT_EQ(back[i].value, records[i].value);  // bit-exact
    }
}

TEST(RecordsCsv, StreamsInAndOutInBufferSizedPieces) {
    // More rows than one 64 KiB buffer holds: the writer flushes several times.
    std::vector<Record> records;
    for (int i = 0; i < 5000; ++i)
        records.push_back({i % 2 ? "odd" : "even", std::uint64_t(i), i / 7, "m", i / 3.0});
    std::ostringstream out;
    RecordCsvWriter writer(out);
    for (const auto& r : records) writer.write(r);
    writer.flush();
    EXPECT_GT(out.str().size(), std::size_t{1} << 17);
    EXPECT_EQ(out.str(), records_to_csv(records));
    std::istringstream in(out.str());
    std::size_t count = 0;
    read_records_csv(in, "stream.csv", [&](Record&& r) {
        EXPECT_EQ(r.seed, records[count].seed);
        EXPECT_EQ(r.value, records[count].value);
        ++count;
    });
    EXPECT_EQ(count, records.size());
    std::istringstream bad("setting,seed,generation,metric,value\na,1,2\n");
    try {
        read_records_csv(bad, "some/records.csv", [](Record&&) {});
        FAIL();
    } catch (const DataError& e) {
        EXPECT_STREQ(e.what(), "some/records.csv line 2: 3 fields, expected 5");
    }
}

TEST(RecordsCsv, WithStudyColumnsReadsBackTheRecords) {
    // A run's records.csv: study, label and two parameters; names with a comma, a quote and a
    // line break are quoted, and the reader joins the lines of a quoted field.
    RecordColumns columns;
    columns.study = "two\nlines, \"q\"";
    columns.parameters = {"schedule.n", "model.bias"};
    columns.settings["a"] = {"n=5, bias=0.5", {"5", "0.5"}};
    columns.settings["b"] = {"b", {parameter_csv_field("\"x,y\""), parameter_csv_field("null")}};
    const std::vector<Record> records = {{"a", 1, 0, "m", 0.1 + 0.2}, {"b", 2, 3, "n", -0.0}};
    std::ostringstream out;
    RecordCsvWriter writer(out, &columns);
    for (const auto& r : records) writer.write(r);
    writer.flush();
    EXPECT_EQ(out.str(),
              "study,setting,label,seed,generation,metric,value,schedule.n,model.bias\n"
              "\"two\nlines, \"\"q\"\"\",a,\"n=5, bias=0.5\",1,0,m,0.30000000000000004,5,0.5\n"
              "\"two\nlines, \"\"q\"\"\",b,b,2,3,n,-0,\"x,y\",\n");
    const auto back = records_from_csv(out.str());
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].setting, "a");
    EXPECT_EQ(back[0].value, 0.1 + 0.2);
    EXPECT_EQ(back[1].setting, "b");
    EXPECT_EQ(back[1].seed, 2u);
    EXPECT_EQ(back[1].generation, 3);
    EXPECT_EQ(back[1].metric, "n");
    EXPECT_TRUE(std::signbit(back[1].value));
    // A record of a setting the columns do not know is an error, not a row without a label.
    EXPECT_THROW(writer.write({"c", 0, 0, "m", 1.0}), Error);
    EXPECT_THROW(records_from_csv("study,setting,label,seed,generation,metric,value\n\"open,a\n"),
                 DataError);
}

TEST(RecordsCsv, MalformedTextIsAnErrorWithTheLine) {
    try {
        records_from_csv("setting,seed,generation,metric,value\na,1,2,m,0.5\nb,1,x,m,1\n");
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
    }
    EXPECT_THROW(records_from_csv("wrong header\n"), DataError);
}

}  // namespace
}  // namespace madlab
