#include "madlab/store/summary.h"

#include <gtest/gtest.h>

#include "madlab/core/error.h"
#include "madlab/store/record_files.h"

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
