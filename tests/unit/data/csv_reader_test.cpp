#include "madlab/data/csv_reader.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "temp_dir.h"

namespace madlab {
namespace {

using test_util::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kFaithful = MADLAB_SHARED_DIR "/data/tabular/faithful.csv";
const std::string kIris = MADLAB_SHARED_DIR "/data/tabular/iris.csv";

// The DataError message of reading `path`, or "(no error)".
std::string csv_error(const std::string& path, const CsvOptions& options = {}) {
    try {
        read_csv(path, options);
    } catch (const DataError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ReadCsv, FaithfulLoadsWithoutItsRowNames) {
    if (!std::filesystem::exists(kFaithful)) GTEST_SKIP() << kFaithful << " not present";
    const CsvTable t = read_csv_table(kFaithful);
    ASSERT_EQ(t.values.rows(), 272);
    ASSERT_EQ(t.values.cols(), 2);
    EXPECT_THAT(t.columns, ElementsAre("eruptions", "waiting"));
    // The file's first and last data lines: "1,3.6,79", "2,1.8,54", "272,4.467,74".
    EXPECT_EQ(t.values(0, 0), 3.6);
    EXPECT_EQ(t.values(0, 1), 79.0);
    EXPECT_EQ(t.values(1, 0), 1.8);
    EXPECT_EQ(t.values(1, 1), 54.0);
    EXPECT_EQ(t.values(271, 0), 4.467);
    EXPECT_EQ(t.values(271, 1), 74.0);
    // Eruptions last 1.6 to 5.1 minutes, waits 43 to 96 minutes.
    EXPECT_EQ(t.values.col(0).minCoeff(), 1.6);
    EXPECT_EQ(t.values.col(0).maxCoeff(), 5.1);
    EXPECT_EQ(t.values.col(1).minCoeff(), 43.0);
    EXPECT_EQ(t.values.col(1).maxCoeff(), 96.0);
}

TEST(ReadCsv, FaithfulKeepsRowNamesWhenAsked) {
    if (!std::filesystem::exists(kFaithful)) GTEST_SKIP() << kFaithful << " not present";
    CsvOptions options;
    options.drop_row_names = false;
    const CsvTable t = read_csv_table(kFaithful, options);
    ASSERT_EQ(t.values.cols(), 3);
    EXPECT_THAT(t.columns, ElementsAre("rownames", "eruptions", "waiting"));
    for (Eigen::Index i = 0; i < t.values.rows(); ++i) EXPECT_EQ(t.values(i, 0), i + 1.0);
}

TEST(ReadCsv, IrisNeedsItsPreambleSkipped) {
    if (!std::filesystem::exists(kIris)) GTEST_SKIP() << kIris << " not present";
    // Line 1 is "150,4,setosa,versicolor,virginica": neither a header nor data.
    EXPECT_THAT(csv_error(kIris),
                AllOf(HasSubstr("iris.csv line 1 column 3: 'setosa' is not a number"),
                      HasSubstr("skip_rows = 1")));
    CsvOptions options;
    options.skip_rows = 1;
    const CsvTable t = read_csv_table(kIris, options);
    ASSERT_EQ(t.values.rows(), 150);
    ASSERT_EQ(t.values.cols(), 5);
    EXPECT_TRUE(t.columns.empty());
    EXPECT_EQ(t.values.row(0), (Eigen::RowVectorXd(5) << 5.1, 3.5, 1.4, 0.2, 0).finished());
    EXPECT_EQ(t.values(149, 4), 2.0);
}

TEST(ReadCsv, NoHeader) {
    TempDir dir;
    const CsvTable t = read_csv_table(dir.write("plain.csv", "1,2\n3.5,-4e-3\n"));
    EXPECT_TRUE(t.columns.empty());
    ASSERT_EQ(t.values.rows(), 2);
    EXPECT_EQ(t.values(0, 0), 1.0);
    EXPECT_EQ(t.values(0, 1), 2.0);
    EXPECT_EQ(t.values(1, 0), 3.5);
    EXPECT_EQ(t.values(1, 1), -4e-3);
}

TEST(ReadCsv, LenientSyntax) {
    TempDir dir;
    // BOM, quoted names with a comma and an escaped quote, CRLF, spaces and tabs, '+', quoted
    // numbers, blank lines in the middle and at the end, no final newline handled below.
    const std::string text =
        "\xEF\xBB\xBF\"x, first\" , \"say \"\"y\"\"\"\r\n"
        " +1.5 ,\t-2\r\n"
        "\r\n"
        "\"3\",.25\r\n"
        "1e-400,-0\r\n"
        "\n"
        "   \n";
    const CsvTable t = read_csv_table(dir.write("lenient.csv", text));
    EXPECT_THAT(t.columns, ElementsAre("x, first", "say \"y\""));
    ASSERT_EQ(t.values.rows(), 3);
    EXPECT_EQ(t.values(0, 0), 1.5);
    EXPECT_EQ(t.values(0, 1), -2.0);
    EXPECT_EQ(t.values(1, 0), 3.0);
    EXPECT_EQ(t.values(1, 1), 0.25);
    EXPECT_EQ(t.values(2, 0), 0.0);  // underflow reads as 0
    EXPECT_EQ(t.values(2, 1), 0.0);

    const Matrix no_newline = read_csv(dir.write("last.csv", "a\n7\n8"));
    ASSERT_EQ(no_newline.rows(), 2);
    EXPECT_EQ(no_newline(1, 0), 8.0);
}

TEST(ReadCsv, RowNamesOfRAndPandasAreDropped) {
    TempDir dir;
    // R's write.csv quotes an empty first name and text row names.
    const CsvTable r = read_csv_table(
        dir.write("r.csv", "\"\",\"mpg\",\"cyl\"\n\"Mazda RX4\",21,6\n\"Valiant\",18.1,6\n"));
    EXPECT_THAT(r.columns, ElementsAre("mpg", "cyl"));
    ASSERT_EQ(r.values.rows(), 2);
    EXPECT_EQ(r.values(1, 0), 18.1);
    const CsvTable pandas = read_csv_table(dir.write("p.csv", "Unnamed: 0,a\n0,5\n1,6\n"));
    EXPECT_THAT(pandas.columns, ElementsAre("a"));
    EXPECT_EQ(pandas.values(1, 0), 6.0);
}

TEST(ReadCsv, HeaderCanBeForced) {
    TempDir dir;
    CsvOptions yes;
    yes.header = true;
    const CsvTable numeric_names = read_csv_table(dir.write("years.csv", "2019,2020\n1,2\n"), yes);
    EXPECT_THAT(numeric_names.columns, ElementsAre("2019", "2020"));
    ASSERT_EQ(numeric_names.values.rows(), 1);
    CsvOptions no;
    no.header = false;
    EXPECT_THAT(csv_error(dir.write("names.csv", "a,b\n1,2\n"), no),
                HasSubstr("names.csv line 1 column 1: 'a' is not a number"));
}

TEST(ReadCsv, RaggedRows) {
    TempDir dir;
    const std::string long_row = dir.write("long.csv", "x,y\n1,2\n3,4,5\n");
    EXPECT_THAT(csv_error(long_row),
                HasSubstr(long_row + " line 3: 3 cells, expected 2 like line 1; every row needs "
                                     "the same number"));
    EXPECT_THAT(csv_error(dir.write("short.csv", "1,2\n3,4\n\n5\n")),
                HasSubstr("short.csv line 4: 1 cell, expected 2 like line 1"));
}

TEST(ReadCsv, BadCellsNameLineColumnAndFix) {
    TempDir dir;
    EXPECT_THAT(csv_error(dir.write("text.csv", "x,y\n1,2\n3,abc\n")),
                HasSubstr("text.csv line 3 column 2 (y): 'abc' is not a number; cells must be "
                          "plain numbers"));
    EXPECT_THAT(csv_error(dir.write("suffix.csv", "1,2\n3.5kg,4\n")),
                HasSubstr("suffix.csv line 2 column 1: '3.5kg' is not a number"));
    EXPECT_THAT(csv_error(dir.write("nan.csv", "x,y\n1,2\n3,4\n5,6\n7,nan\n")),
                HasSubstr("nan.csv line 5 column 2 (y): 'nan' is not a finite number; remove or "
                          "impute the row"));
    EXPECT_THAT(csv_error(dir.write("inf.csv", "1,-inf\n")),
                HasSubstr("inf.csv line 1 column 2: '-inf' is not a finite number"));
    EXPECT_THAT(csv_error(dir.write("huge.csv", "1\n1e999\n")),
                HasSubstr("huge.csv line 2 column 1: '1e999' is not a finite number"));
    EXPECT_THAT(csv_error(dir.write("empty_cell.csv", "x,y\n1,\n")),
                HasSubstr("empty_cell.csv line 2 column 2 (y) is empty; fill in a number or "
                          "remove the row"));
    EXPECT_THAT(csv_error(dir.write("quote.csv", "1,\"2\n")),
                HasSubstr("quote.csv line 1 column 2: a quoted cell has no closing quote"));
    EXPECT_THAT(csv_error(dir.write("after.csv", "1,\"2\"x\n")),
                HasSubstr("after.csv line 1 column 2: text follows the closing quote"));
    EXPECT_THAT(csv_error(dir.write("plus.csv", "1\n+-1\n")), HasSubstr("'+-1' is not a number"));
}

TEST(ReadCsv, MissingEmptyAndHeaderOnlyFiles) {
    TempDir dir;
    const std::string missing = dir.file("missing.csv");
    EXPECT_THAT(csv_error(missing),
                HasSubstr("cannot read data file '" + missing + "': No such file or directory"));
    EXPECT_THAT(csv_error(dir.path().string()), HasSubstr("it is a directory"));
    EXPECT_THAT(csv_error(dir.write("empty.csv", "")), HasSubstr("empty.csv is empty"));
    EXPECT_THAT(csv_error(dir.write("blank.csv", "\n  \n\n")), HasSubstr("blank.csv is empty"));
    EXPECT_THAT(csv_error(dir.write("header.csv", "x,y\n\n")),
                HasSubstr("header.csv has a header (line 1) but no data rows"));
    CsvOptions skip;
    skip.skip_rows = 3;
    EXPECT_THAT(csv_error(dir.write("two.csv", "1\n2\n"), skip),
                HasSubstr("two.csv has only 2 lines but skip_rows = 3"));
}

TEST(ReadCsv, LineNumbersCountSkippedAndBlankLines) {
    TempDir dir;
    CsvOptions skip;
    skip.skip_rows = 2;
    EXPECT_THAT(csv_error(dir.write("count.csv", "junk\nmore junk\n\na,b\n1,2\n\n3,x\n"), skip),
                HasSubstr("count.csv line 7 column 2 (b): 'x' is not a number"));
}

TEST(ReadCsv, WideFileRoundTripsEveryDoubleExactly) {
    TempDir dir;
    Rng rng(1);
    const Eigen::Index n = 3000, d = 64;
    Matrix x(n, d);
    std::string text;
    for (Eigen::Index j = 0; j < d; ++j) text += fmt::format("{}c{}", j ? "," : "", j);
    text += '\n';
    for (Eigen::Index i = 0; i < n; ++i) {
        for (Eigen::Index j = 0; j < d; ++j) {
            x(i, j) = rng.normal() * std::pow(10.0, static_cast<double>(j % 9) - 4);
            text += fmt::format("{}{}", j ? "," : "", x(i, j));  // shortest exact form
        }
        text += '\n';
    }
    const CsvTable t = read_csv_table(dir.write("wide.csv", text));
    EXPECT_EQ(t.columns.size(), 64u);
    EXPECT_EQ(t.columns[63], "c63");
    EXPECT_EQ(t.values, x);
}

}  // namespace
}  // namespace madlab
