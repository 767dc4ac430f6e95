#include "madlab/data/image_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/data/image_source.h"
#include "temp_dir.h"

namespace madlab {
namespace {

using test_util::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kMnistImages = MADLAB_SHARED_DIR "/data/images/mnist/t10k-images-idx3-ubyte.gz";
const std::string kMnistLabels = MADLAB_SHARED_DIR "/data/images/mnist/t10k-labels-idx1-ubyte.gz";
const std::string kDigits = MADLAB_SHARED_DIR "/data/tabular/digits.csv.gz";

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const DataError& e) {
        return e.what();
    } catch (const Error& e) {
        return std::string("(not a DataError) ") + e.what();
    }
    return "(no error)";
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// An IDX file of unsigned bytes with the given dimensions; element i is (i * 7) % 256.
std::string idx_bytes(const std::vector<std::uint32_t>& dims, std::size_t elements,
                      unsigned char type = 0x08) {
    std::string out = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
    for (auto d : dims) put_u32(out, d);
    for (std::size_t i = 0; i < elements; ++i) out.push_back(static_cast<char>((i * 7) % 256));
    return out;
}

std::string gzip_of(const std::string& raw) {
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, raw.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

TEST(ImageReader, RealMnistTestFile) {
    const ImageSet set = read_idx_dataset(kMnistImages, kMnistLabels);
    ASSERT_EQ(set.count(), 10000u);
    EXPECT_EQ(set.shape, (std::vector<std::size_t>{28, 28}));
    EXPECT_EQ(set.pixels.cols(), 784);
    ASSERT_EQ(set.labels.size(), 10000u);
    EXPECT_EQ(set.labels[0], 7);  // the first MNIST test digit is a 7
    EXPECT_EQ(set.labels[1], 2);
    EXPECT_EQ(set.labels[2], 1);
    EXPECT_DOUBLE_EQ(set.pixels.minCoeff(), 0.0);
    EXPECT_DOUBLE_EQ(set.pixels.maxCoeff(), 1.0);  // byte 255 / 255
    // The published class counts of the MNIST test set.
    std::vector<int> counts(10, 0);
    for (int l : set.labels) ++counts.at(static_cast<std::size_t>(l));
    EXPECT_EQ(counts, (std::vector<int>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
    // Corners are background; the mean intensity of MNIST is about 0.13.
    EXPECT_EQ(set.pixels(0, 0), 0.0);
    EXPECT_NEAR(set.pixels.mean(), 0.1325, 0.002);
    // Values are multiples of 1/255.
    const double v = set.pixels(0, 14 * 28 + 14) * 255.0;
    EXPECT_DOUBLE_EQ(v, std::round(v));
}

TEST(ImageReader, PlainAndGzipReadTheSame) {
    TempDir dir;
    const std::string raw = idx_bytes({3, 2, 4}, 24);
    const ImageSet a = read_idx_images(dir.write("a-images-idx3-ubyte", raw));
    const ImageSet b = read_idx_images(dir.write("b-images-idx3-ubyte.gz", gzip_of(raw)));
    EXPECT_EQ(a.count(), 3u);
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 4}));
    EXPECT_EQ(a.pixels, b.pixels);
    // Row-major: element 9 of the file is image 1, pixel (0, 1).
    EXPECT_DOUBLE_EQ(a.pixels(1, 1), (9 * 7 % 256) / 255.0);
}

TEST(ImageReader, MalformedFilesNameFileAndProblem) {
    TempDir dir;
    const auto images = [&](const std::string& name, const std::string& bytes) {
        return error_of([&] { read_idx_images(dir.write(name, bytes)); });
    };
    const std::string bad_magic = "\x12\x34\x08\x03" + idx_bytes({1, 2, 2}, 4).substr(4);
    EXPECT_THAT(images("magic", bad_magic), AllOf(HasSubstr("magic"), HasSubstr("magic")));
    EXPECT_THAT(images("type", idx_bytes({1, 2, 2}, 16, 0x0d)),
                AllOf(HasSubstr("type"), HasSubstr("0x0d")));
    EXPECT_THAT(images("dims", idx_bytes({4}, 4)),
                AllOf(HasSubstr("dims"), HasSubstr("1 dimension")));
    EXPECT_THAT(images("short", idx_bytes({5, 28, 28}, 5 * 784 - 1)),
                AllOf(HasSubstr("short"), HasSubstr("truncated"), HasSubstr("3920")));
    EXPECT_THAT(images("long", idx_bytes({1, 2, 2}, 5)), HasSubstr("1 bytes after"));
    EXPECT_THAT(images("zero", idx_bytes({0, 2, 2}, 0)), HasSubstr("dimension 0 is 0"));
    // Dimensions whose product wraps around 2^64 to 0, the size of the data that follows
    // (0x60000000 x 0x24000 x 0x1000000 = 27 * 2^67): a 10^20-pixel matrix was allocated
    // (std::bad_alloc) before. Found by tests/fuzz/idx_fuzz.
    EXPECT_THAT(images("wrap", idx_bytes({0x60000000, 0x24000, 0x1000000}, 0)),
                AllOf(HasSubstr("wrap"), HasSubstr("truncated"),
                      HasSubstr("1610612736 x 147456 x 16777216")));
    EXPECT_THAT(images("header", std::string("\0\0\x08\x03\0\0", 6)),
                AllOf(HasSubstr("header"), HasSubstr("truncated")));
    EXPECT_THAT(error_of([] { read_idx_images("/nonexistent/x-idx3-ubyte"); }),
                HasSubstr("/nonexistent/x-idx3-ubyte"));
    // A gzip file cut in the middle.
    const std::string gz = gzip_of(idx_bytes({50, 28, 28}, 50 * 784));
    EXPECT_THAT(images("cut.gz", gz.substr(0, gz.size() / 2)),
                AllOf(HasSubstr("cut.gz"), HasSubstr("truncated gzip")));
    std::string corrupt = gz;
    for (std::size_t i = 20; i < 60 && i < corrupt.size(); ++i) corrupt[i] = '\x55';
    EXPECT_THAT(images("corrupt.gz", corrupt),
                AllOf(HasSubstr("corrupt.gz"), HasSubstr("not valid gzip")));
}

TEST(ImageReader, LabelCountMustMatchImages) {
    TempDir dir;
    const std::string img = dir.write("x-images-idx3-ubyte", idx_bytes({3, 2, 2}, 12));
    const std::string lab = dir.write("x-labels-idx1-ubyte", idx_bytes({4}, 4));
    EXPECT_THAT(error_of([&] { read_idx_dataset(img, lab); }),
                AllOf(HasSubstr("3 images"), HasSubstr("4 labels"), HasSubstr(lab)));
    // An image file given as labels is caught by its dimensions.
    EXPECT_THAT(error_of([&] { read_idx_labels(img); }), HasSubstr("3 dimensions"));
    EXPECT_EQ(idx_labels_path_for("/a/t10k-images-idx3-ubyte.gz"), "/a/t10k-labels-idx1-ubyte.gz");
    EXPECT_EQ(idx_labels_path_for("/a/pictures.idx"), "");
}

TEST(ImageReader, UciDigits) {
    const ImageSet set = read_digits_csv(kDigits);
    EXPECT_EQ(set.count(), 1797u);
    EXPECT_EQ(set.shape, (std::vector<std::size_t>{8, 8}));
    EXPECT_EQ(set.labels[0], 0);
    EXPECT_DOUBLE_EQ(set.pixels(0, 2), 5.0 / 16.0);  // "0,0,5,13,..."
    EXPECT_DOUBLE_EQ(set.pixels.maxCoeff(), 1.0);
    EXPECT_DOUBLE_EQ(set.pixels.minCoeff(), 0.0);
    TempDir dir;
    std::string row;
    for (int i = 0; i < 64; ++i) row += "1,";
    EXPECT_THAT(error_of([&] { read_digits_csv(dir.write("short.csv", row + "\n")); }),
                AllOf(HasSubstr("short.csv"), HasSubstr("line 1"), HasSubstr("65")));
    EXPECT_THAT(
        error_of([&] { read_digits_csv(dir.write("px.csv", "17," + row.substr(2) + "3\n")); }),
        AllOf(HasSubstr("px.csv"), HasSubstr("outside 0..16")));
    EXPECT_THAT(
        error_of([&] { read_digits_csv(dir.write("nan.csv", "x," + row.substr(2) + "3\n")); }),
        AllOf(HasSubstr("nan.csv"), HasSubstr("not an integer")));
}

// Debian's dataset-fashion-mnist, installed by scripts/install-deps.sh. Where it is missing,
// the name must say which package to install.
TEST(ImageSource, FashionMnistByName) {
    const std::string dir = kFashionMnistDir;
    ImageSourceOptions o;
    o.path = "fashion-mnist";
    o.labels = {9};
    if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz")) {
        EXPECT_THAT(error_of([&] { load_image_source(o); }),
                    HasSubstr("apt-get install dataset-fashion-mnist"));
        return;
    }
    const ImageSet test =
        read_idx_dataset(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
    ASSERT_EQ(test.count(), 10000u);
    EXPECT_EQ(test.shape, (std::vector<std::size_t>{28, 28}));
    std::vector<int> counts(10, 0);
    for (int l : test.labels) ++counts.at(static_cast<std::size_t>(l));
    EXPECT_EQ(counts, std::vector<int>(10, 1000));  // Fashion-MNIST's test set is balanced
    // By name: the 60,000 training images, 6,000 per class; class 9 (ankle boots) kept.
    const ImageSource boots = load_image_source(o);
    EXPECT_EQ(boots.file().rows(), 6000u);
}

TEST(ImageSource, SplitFilterAndErrors) {
    ImageSourceOptions o;
    o.path = kMnistImages;  // labels found beside it
    o.labels = {0, 1};
    const ImageSource source = load_image_source(o);
    const std::size_t n = source.file().rows();
    // The MNIST test set has 980 zeros and 1135 ones.
    EXPECT_EQ(n, 980u + 1135u);
    EXPECT_EQ(source.file().n_test(), static_cast<std::size_t>(std::ceil(0.2 * n)));
    EXPECT_EQ(source.shape(), (std::vector<std::size_t>{28, 28}));
    EXPECT_EQ(source.dim(), 784u);
    // The training pool is exactly the rows outside the test split.
    const Matrix pool = source.training_pool();
    EXPECT_EQ(static_cast<std::size_t>(pool.rows()), source.file().n_train());
    EXPECT_EQ(pool.row(0),
              source.file().data().row(static_cast<Eigen::Index>(source.file().train_rows()[0])));
    // Deterministic split: a second load gives the same test rows.
    EXPECT_EQ(load_image_source(o).file().test_rows(), source.file().test_rows());
    EXPECT_NE(source.describe().find("images 28 x 28"), std::string::npos);

    ImageSourceOptions missing = o;
    missing.labels = {42};
    EXPECT_THROW(load_image_source(missing), ConfigError);
    TempDir dir;
    ImageSourceOptions no_labels;
    no_labels.path = dir.write("pics.idx", idx_bytes({4, 2, 2}, 16));
    no_labels.labels = {1};
    EXPECT_THROW(load_image_source(no_labels), ConfigError);
    no_labels.labels.clear();
    EXPECT_EQ(load_image_source(no_labels).file().rows(), 4u);
}

}  // namespace
}  // namespace madlab
