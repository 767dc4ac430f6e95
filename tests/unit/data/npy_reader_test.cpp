#include "madlab/data/npy_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "temp_dir.h"

namespace madlab {
namespace {

using test_util::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Fixtures written by NumPy 1.24 (tests/data/make_npy_fixtures.py).
std::string fixture(const std::string& name) { return MADLAB_TEST_DATA_DIR "/" + name; }

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string npy_error(const std::string& path) {
    try {
        read_npy(path);
    } catch (const DataError& e) {
        return e.what();
    }
    return "(no error)";
}

// A version 1.0 file with the given header dict and payload, padded as NumPy pads it.
std::string make_npy(std::string dict, const std::string& payload, char major = 1) {
    std::string header = std::move(dict);
    const std::size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += major;
    out += '\0';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    if (major != 1) out += std::string(2, '\0');
    return out + header + payload;
}

Matrix f8_3x2() {
    Matrix x(3, 2);
    x << 1.5, -2.0, 3.25, 4.0, 0.0, 1e-300;
    return x;
}

TEST(ReadNpy, NumpyFilesOfEveryDtypeAndVersion) {
    EXPECT_EQ(read_npy(fixture("f8_3x2.npy")), f8_3x2());

    const Matrix f4 = read_npy(fixture("f4_1d.npy"));  // shape (3,) -> 3 x 1
    ASSERT_EQ(f4.rows(), 3);
    ASSERT_EQ(f4.cols(), 1);
    EXPECT_EQ(f4(0, 0), 1.5);
    EXPECT_EQ(f4(1, 0), -2.25);
    EXPECT_EQ(f4(2, 0), 3.0);

    Matrix i8(2, 3);  // version 2.0
    i8 << 1, -2, 3, 1099511627776.0, 0, -7;
    EXPECT_EQ(read_npy(fixture("i8_2x3_v2.npy")), i8);

    Matrix u1(2, 2);  // version 3.0
    u1 << 0, 255, 7, 128;
    EXPECT_EQ(read_npy(fixture("u1_2x2_v3.npy")), u1);

    Matrix i4(2, 2);
    i4 << -1, 2, 2147483647.0, -2147483648.0;
    EXPECT_EQ(read_npy(fixture("i4_2x2.npy")), i4);
}

TEST(WriteNpy, WritesWhatNumpyWritesAndReadsBack) {
    TempDir dir;
    const std::string path = dir.file("x.npy");
    write_npy(path, f8_3x2());
    EXPECT_EQ(slurp(path), slurp(fixture("f8_3x2.npy")));  // byte for byte

    Rng rng(4);
    Matrix y(57, 5);
    for (Eigen::Index i = 0; i < y.size(); ++i) y.data()[i] = rng.normal() * 1e3;
    write_npy(path, y);  // replaces the earlier file
    EXPECT_EQ(read_npy(path), y);
    // Only the final file is left: the temporary name was renamed.
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        ++files;
        EXPECT_EQ(entry.path().filename(), "x.npy");
    }
    EXPECT_EQ(files, 1u);
}

TEST(WriteNpy, UnwritablePathThrowsNamingIt) {
    TempDir dir;
    const std::string path = dir.file("no/such/folder/x.npy");
    try {
        write_npy(path, f8_3x2());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_THAT(e.what(), HasSubstr("cannot write '" + path + "'"));
    }
}

TEST(ReadNpy, HandMadeFloat32AndVersion2Headers) {
    TempDir dir;
    const float values[] = {0.5f, -1.25f, 3.0f, 8.0f};
    const std::string payload(reinterpret_cast<const char*>(values), sizeof values);
    const Matrix a = read_npy(dir.write(
        "f4.npy",
        make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload)));
    Matrix expected(2, 2);
    expected << 0.5, -1.25, 3.0, 8.0;
    EXPECT_EQ(a, expected);
    // Key order, double quotes, no trailing comma, Python 2 long integers, version 2.0.
    const Matrix b = read_npy(dir.write(
        "v2.npy", make_npy("{\"shape\": (2L, 2L), \"fortran_order\": False, \"descr\": \"<f4\"}",
                           payload, 2)));
    EXPECT_EQ(b, expected);
}

TEST(ReadNpy, UnsupportedLayoutsSayHowToResave) {
    EXPECT_THAT(npy_error(fixture("fortran_2x3.npy")),
                AllOf(HasSubstr("fortran_2x3.npy is stored in Fortran (column-major) order"),
                      HasSubstr("np.ascontiguousarray(arr)")));
    EXPECT_THAT(npy_error(fixture("big_endian.npy")),
                AllOf(HasSubstr("has the big-endian dtype '>f8'"), HasSubstr("astype('<f8')")));
    EXPECT_THAT(npy_error(fixture("complex.npy")),
                HasSubstr("has dtype '<c16', which madlab does not read"));
    EXPECT_THAT(npy_error(fixture("structured.npy")), HasSubstr("holds a structured array"));
    EXPECT_THAT(npy_error(fixture("shape_2x2x2.npy")),
                AllOf(HasSubstr("holds an array of shape (2, 2, 2) (3 dimensions)"),
                      HasSubstr("arr.reshape(len(arr), -1)")));
    TempDir dir;
    EXPECT_THAT(
        npy_error(dir.write("scalar.npy",
                            make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                                     std::string(8, '\0')))),
        HasSubstr("holds an array of shape () (0 dimensions)"));
    EXPECT_THAT(
        npy_error(dir.write("empty.npy", make_npy("{'descr': '<f8', 'fortran_order': False, "
                                                  "'shape': (0, 3), }",
                                                  ""))),
        HasSubstr("holds an empty array of shape (0, 3)"));
    EXPECT_THAT(npy_error(dir.write("obj.npy", make_npy("{'descr': '|O', 'fortran_order': False, "
                                                        "'shape': (1,), }",
                                                        std::string(8, '\0')))),
                HasSubstr("has dtype '|O'"));
}

TEST(ReadNpy, CorruptFiles) {
    TempDir dir;
    EXPECT_THAT(npy_error(dir.write("text.npy", "1,2\n3,4\n")),
                HasSubstr("text.npy is not a NumPy .npy file"));
    EXPECT_THAT(npy_error(dir.write("tiny.npy", "\x93NU")), HasSubstr("is not a NumPy .npy file"));
    std::string v4 = slurp(fixture("f8_3x2.npy"));
    v4[6] = 4;
    EXPECT_THAT(npy_error(dir.write("v4.npy", v4)), HasSubstr("of format version 4.0"));

    const std::string whole = slurp(fixture("f8_3x2.npy"));
    const std::string cut = dir.write("cut.npy", whole.substr(0, whole.size() - 5));
    EXPECT_THAT(npy_error(cut),
                HasSubstr("cut.npy is truncated: its header promises 3 x 2 values of dtype '<f8' "
                          "(48 bytes) but only 43 bytes of data follow"));
    EXPECT_THAT(npy_error(dir.write("header_cut.npy", whole.substr(0, 40))),
                HasSubstr("header_cut.npy is truncated or corrupt"));
    EXPECT_THAT(
        npy_error(dir.write("garbled.npy", make_npy("{'descr': '<f8', 'fortran_order': Maybe, "
                                                    "'shape': (1,), }",
                                                    std::string(8, '\0')))),
        AllOf(HasSubstr("garbled.npy has a malformed .npy header"),
              HasSubstr("expected True or False")));
    EXPECT_THAT(npy_error(dir.write("nokey.npy", make_npy("{'descr': '<f8', 'shape': (1,), }",
                                                          std::string(8, '\0')))),
                HasSubstr("lacks one of the keys"));
    const std::string missing = dir.file("missing.npy");
    EXPECT_THAT(npy_error(missing),
                HasSubstr("cannot read data file '" + missing + "': No such file or directory"));
}

TEST(ReadNpy, NonFiniteValuesNameTheirRow) {
    TempDir dir;
    Matrix x = f8_3x2();
    x(2, 1) = std::numeric_limits<double>::quiet_NaN();
    const std::string path = dir.file("nan.npy");
    write_npy(path, x);
    EXPECT_THAT(npy_error(path),
                AllOf(HasSubstr("nan.npy: row 2 column 1 (flat index 5) (0-based, as NumPy "
                                "counts) is nan, not a finite number; remove or impute the row"),
                      HasSubstr("np.isfinite")));
    const float inf = std::numeric_limits<float>::infinity();
    const float values[] = {1.0f, inf};
    EXPECT_THAT(npy_error(dir.write(
                    "inf.npy", make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                                        std::string(reinterpret_cast<const char*>(values), 8)))),
                HasSubstr("inf.npy: element 1 (0-based, as NumPy counts) is inf"));
}

}  // namespace
}  // namespace madlab
