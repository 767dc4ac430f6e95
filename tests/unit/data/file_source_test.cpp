#include "madlab/data/file_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "../test_support.h"
#include "madlab/core/error.h"
#include "madlab/data/npy_reader.h"
#include "temp_dir.h"

using madlab::testing::error_of;

namespace madlab {
namespace file_source_test {

using test_util::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kFaithful = MADLAB_SHARED_DIR "/data/tabular/faithful.csv";

// n x 2 data whose row i is (i, -i), so that a drawn row names its index.
Matrix indexed_rows(std::size_t n) {
    Matrix x(static_cast<Eigen::Index>(n), 2);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        x(i, 0) = static_cast<double>(i);
        x(i, 1) = -static_cast<double>(i);
    }
    return x;
}

// The row indices of a draw from indexed_rows data.
std::vector<std::size_t> indices_of(const Matrix& draw) {
    std::vector<std::size_t> out;
    for (Eigen::Index i = 0; i < draw.rows(); ++i) {
        EXPECT_EQ(draw(i, 1), -draw(i, 0));
        out.push_back(static_cast<std::size_t>(draw(i, 0)));
    }
    return out;
}

TEST(FileSource, SplitSizesAndDeterminism) {
    const FileSource a(indexed_rows(272), "data/x.csv", 0.2, 42);
    EXPECT_EQ(a.n_test(), 55u);  // ceil(54.4)
    EXPECT_EQ(a.n_train(), 217u);
    EXPECT_EQ(a.dim(), 2u);
    EXPECT_EQ(a.describe(), "data/x.csv (272 x 2)");

    const FileSource same(indexed_rows(272), "data/x.csv", 0.2, 42);
    EXPECT_EQ(a.test_rows(), same.test_rows());
    EXPECT_EQ(a.train_rows(), same.train_rows());
    const FileSource other(indexed_rows(272), "data/x.csv", 0.2, 43);
    EXPECT_NE(std::set<std::size_t>(a.test_rows().begin(), a.test_rows().end()),
              std::set<std::size_t>(other.test_rows().begin(), other.test_rows().end()));

    // 0.7 * 10 is 7.000000000000001 in floating point; still 7 test rows.
    EXPECT_EQ(FileSource(indexed_rows(10), "x", 0.7, 0).n_test(), 7u);
    // At least one test row.
    EXPECT_EQ(FileSource(indexed_rows(10), "x", 0.01, 0).n_test(), 1u);
}

TEST(FileSource, TrainAndTestAreDisjointAndCoverTheData) {
    const FileSource source(indexed_rows(100), "x", 0.25, 7);
    std::vector<std::size_t> all = source.train_rows();
    all.insert(all.end(), source.test_rows().begin(), source.test_rows().end());
    std::sort(all.begin(), all.end());
    std::vector<std::size_t> expected(100);
    std::iota(expected.begin(), expected.end(), std::size_t{0});
    EXPECT_EQ(all, expected);
    // The split is a shuffle, not the first rows.
    EXPECT_NE(source.test_rows(),
              std::vector<std::size_t>({0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
                                        13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}));
}

TEST(FileSource, DrawsAreDistinctRowsOfTheirSplit) {
    const FileSource source(indexed_rows(200), "x", 0.3, 1);
    const std::set<std::size_t> train(source.train_rows().begin(), source.train_rows().end());
    const std::set<std::size_t> test(source.test_rows().begin(), source.test_rows().end());
    Rng rng(5);
    for (int rep = 0; rep < 20; ++rep) {
        const std::vector<std::size_t> drawn = indices_of(source.draw_train(100, rng));
        ASSERT_EQ(drawn.size(), 100u);
        EXPECT_EQ(std::set<std::size_t>(drawn.begin(), drawn.end()).size(), 100u);
        for (std::size_t i : drawn) EXPECT_TRUE(train.count(i)) << i;
        const std::vector<std::size_t> held = indices_of(source.draw_test(40, rng));
        EXPECT_EQ(std::set<std::size_t>(held.begin(), held.end()).size(), 40u);
        for (std::size_t i : held) EXPECT_TRUE(test.count(i)) << i;
    }
    // Drawing the whole pool returns each training row once; the same rng state, the same draw.
    Rng a(9), b(9);
    const std::vector<std::size_t> whole = indices_of(source.draw_train(source.n_train(), a));
    EXPECT_EQ(std::set<std::size_t>(whole.begin(), whole.end()), train);
    EXPECT_EQ(indices_of(source.draw_train(source.n_train(), b)), whole);
    // Different draws differ.
    EXPECT_NE(indices_of(source.draw_train(50, a)), indices_of(source.draw_train(50, a)));
}

TEST(FileSource, TooFewRowsSaysWhatToChange) {
    const FileSource source(indexed_rows(272), "data/x.csv", 0.2, 0);
    Rng rng(1);
    EXPECT_THAT(error_of([&] { source.draw_train(500, rng); }),
                AllOf(HasSubstr("source.path data/x.csv has 272 rows: 55 held out for testing and "
                                "217 for training, but the study asks for 500 training rows per "
                                "draw"),
                      HasSubstr("schedule.n_real_initial")));
    EXPECT_THAT(error_of([&] { source.draw_test(56, rng); }),
                AllOf(HasSubstr("55 held out for testing (source.test_fraction = 0.2)"),
                      HasSubstr("asks for 56 test rows; lower metrics.n_eval")));
    EXPECT_THROW(source.draw_train(500, rng), DataError);
    EXPECT_NO_THROW(source.draw_test(55, rng));
    EXPECT_THAT(error_of([] { FileSource(indexed_rows(1), "one.csv", 0.5, 0); }),
                HasSubstr("source.path one.csv has 1 row: with source.test_fraction = 0.5, 1 "
                          "would be held out for testing and none would be left for training"));
}

TEST(FileSource, RejectsBadFractionAndNonFiniteData) {
    for (double f : {0.0, 1.0, -0.1, 1.5, std::nan("")}) {
        EXPECT_THROW(FileSource(indexed_rows(10), "x", f, 0), ConfigError) << f;
    }
    EXPECT_THAT(error_of([] { FileSource(indexed_rows(10), "x", 1.0, 0); }),
                HasSubstr("source.test_fraction = 1 must be in (0, 1)"));
    Matrix bad = indexed_rows(10);
    bad(4, 1) = INFINITY;
    EXPECT_THAT(error_of([&] { FileSource(bad, "bad.npy", 0.2, 0); }),
                HasSubstr("source.path bad.npy: row 4 column 1 (0-based) is inf"));
}

TEST(LoadFileSource, CsvAndNpyByExtension) {
    if (std::filesystem::exists(kFaithful)) {
        const FileSource faithful = load_file_source(kFaithful);
        EXPECT_THAT(faithful.describe(), HasSubstr("faithful.csv (272 x 2)"));
        EXPECT_EQ(faithful.n_test(), 55u);
        EXPECT_EQ(faithful.data()(0, 0), 3.6);
    }
    TempDir dir;
    const Matrix x = indexed_rows(20);
    write_npy(dir.file("x.NPY"), x);
    FileSourceOptions options;
    options.test_fraction = 0.5;
    options.split_seed = 3;
    const FileSource npy = load_file_source(dir.file("x.NPY"), options);
    EXPECT_EQ(npy.data(), x);
    EXPECT_EQ(npy.n_test(), 10u);
    EXPECT_EQ(npy.test_rows(), FileSource(x, "x", 0.5, 3).test_rows());

    options.csv.skip_rows = 1;
    const FileSource csv =
        load_file_source(dir.write("y.csv", "junk,line\n1,2\n3,4\n5,6\n"), options);
    EXPECT_EQ(csv.rows(), 3u);
}

TEST(LoadFileSource, BadExtensionOrFractionIsAConfigError) {
    TempDir dir;
    EXPECT_THAT(error_of([&] { load_file_source(dir.write("data.txt", "1,2\n")); }),
                AllOf(HasSubstr("data.txt has the extension '.txt'; madlab reads .csv"),
                      HasSubstr(".npy")));
    EXPECT_THROW(load_file_source(dir.write("data.txt", "1,2\n")), ConfigError);
    EXPECT_THAT(error_of([&] { load_file_source(dir.file("digits.csv.gz")); }),
                HasSubstr("is gzip-compressed; madlab reads uncompressed files: run gunzip"));
    EXPECT_THAT(error_of([&] { load_file_source(dir.file("noext")); }),
                HasSubstr("has no extension"));
    FileSourceOptions options;
    options.test_fraction = 2;
    // Checked before the (missing) file is read.
    EXPECT_THROW(load_file_source(dir.file("missing.csv"), options), ConfigError);
    EXPECT_THROW(load_file_source(dir.file("missing.csv")), DataError);
}

}  // namespace file_source_test
}  // namespace madlab
