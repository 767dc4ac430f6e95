#include "madlab/neural/lenet_features.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "madlab/core/error.h"
#include "madlab/data/image_source.h"

namespace madlab {
namespace {

const std::string kMnist =
    std::string(MADLAB_SHARED_DIR) + "/data/images/mnist/t10k-images-idx3-ubyte.gz";

ImageSource mnist() {
    ImageSourceOptions options;
    options.kind = "idx";
    options.path = kMnist;
    options.test_fraction = 0.2;
    return load_image_source(options);
}

// A map trained once for the whole file: 8000 MNIST test-set digits, 2 epochs.
const LenetFeatureMap& mnist_map() {
    static const ImageSource source = mnist();
    static const LenetFeatureMap map(source.training_pool(), source.training_labels(), 28, 28,
                                     "mnist", LenetOptions{.epochs = 2});
    return map;
}

TEST(LenetFeatures, ClassifiesTheDigits) {
    if (!std::filesystem::exists(kMnist)) GTEST_SKIP() << kMnist << " not present";
    const ImageSource source = mnist();
    ASSERT_EQ(source.training_labels().size(), source.file().n_train());
    // A LeNet reaches about 98% on MNIST after a few epochs of 60,000 digits; 2 epochs of 8,000
    // reach about 95% on what they trained on. 0.9 leaves room for the small training set.
    EXPECT_GT(mnist_map().training_accuracy(), 0.9);
    EXPECT_NE(mnist_map().describe().find("lenet(84)"), std::string::npos);
}

TEST(LenetFeatures, SeparatesClassesInFeatureSpace) {
    if (!std::filesystem::exists(kMnist)) GTEST_SKIP() << kMnist << " not present";
    const ImageSource source = mnist();
    const Matrix pool = source.training_pool().topRows(2000);
    std::vector<int> labels = source.training_labels();
    labels.resize(2000);
    const Matrix f = mnist_map().map(pool);
    ASSERT_EQ(f.cols(), LenetFeatureMap::kFeatures);
    EXPECT_GE(f.minCoeff(), 0.0);  // ReLU units
    // Mean distance to the same class's centroid is well below that to other classes'.
    Matrix centroid = Matrix::Zero(10, f.cols());
    Vector count = Vector::Zero(10);
    for (Eigen::Index i = 0; i < f.rows(); ++i) {
        centroid.row(labels[i]) += f.row(i);
        count[labels[i]] += 1;
    }
    for (int c = 0; c < 10; ++c) centroid.row(c) /= count[c];
    double own = 0, other = 0;
    for (Eigen::Index i = 0; i < f.rows(); ++i) {
        for (int c = 0; c < 10; ++c) {
            const double d = (f.row(i) - centroid.row(c)).norm();
            (c == labels[i] ? own : other) += c == labels[i] ? d : d / 9.0;
        }
    }
    EXPECT_LT(own, 0.6 * other) << own << " vs " << other;
}

TEST(LenetFeatures, SameImagesSameNetwork) {
    // Tiny synthetic set: bars of two orientations, 8 x 8. Two trainings agree bit for bit.
    Matrix x = Matrix::Zero(64, 64);
    std::vector<int> labels(64);
    for (int i = 0; i < 64; ++i) {
        labels[i] = i % 2;
        for (int k = 0; k < 8; ++k) x(i, labels[i] ? k * 8 + i % 8 : (i % 8) * 8 + k) = 1.0;
    }
    const LenetFeatureMap a(x, labels, 8, 8, "bars", LenetOptions{.epochs = 20});
    const LenetFeatureMap b(x, labels, 8, 8, "bars", LenetOptions{.epochs = 20});
    EXPECT_EQ(a.map(x), b.map(x));
    EXPECT_GT(a.accuracy(x, labels), 0.95);  // two orientations are easy to tell apart
    const LenetFeatureMap c(x, labels, 8, 8, "bars", LenetOptions{.epochs = 20, .seed = 1});
    EXPECT_NE(a.map(x), c.map(x));
}

TEST(LenetFeatures, RejectsImagesItCannotLearnFrom) {
    const Matrix x = Matrix::Constant(10, 64, 0.5);
    EXPECT_THROW(LenetFeatureMap(x, {}, 8, 8, "no labels"), DataError);
    EXPECT_THROW(LenetFeatureMap(x, std::vector<int>(10, 3), 8, 8, "one class"), DataError);
    EXPECT_THROW(LenetFeatureMap(x, std::vector<int>(10, 0), 2, 32, "too thin"), DataError);
}

}  // namespace
}  // namespace madlab
