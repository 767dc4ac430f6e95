#pragma once
// A real source of images (MNIST, Fashion-MNIST, the UCI digits): pixel rows in [0, 1] with the
// image shape kept, optionally restricted to some classes, with the same deterministic held-out
// split and draws as the CSV / NPY file sources (file_source.h: the split depends only on the
// kept images, test_fraction and split_seed).

#include <cstdint>
#include <string>
#include <vector>

#include "madlab/data/file_source.h"
#include "madlab/data/image_reader.h"
#include "madlab/data/real_source.h"

namespace madlab {

struct ImageSourceOptions {
    std::string kind = "idx";  // "idx" (MNIST-style IDX files) or "digits" (UCI digits CSV)
    // idx: the image file, or "fashion-mnist" for Debian's dataset-fashion-mnist training set
    // (60,000 images); digits: the CSV file (plain or .gz).
    std::string path;
    // idx: the label file; empty = derived from the image file's name when that file exists
    // (...-images-idx3-ubyte.gz -> ...-labels-idx1-ubyte.gz), else no labels.
    std::string labels_path;
    std::vector<int> labels;  // keep only images of these classes; empty keeps all
    double test_fraction = 0.2;
    std::uint64_t split_seed = 0;
};

class ImageSource final : public RealSource {
public:
    // images: at least 2 images with a 2-D shape. description names the data in messages.
    ImageSource(ImageSet images, std::string description, double test_fraction,
                std::uint64_t split_seed);

    std::string describe() const override;  // "mnist.gz: 10000 images 28 x 28"
    std::size_t dim() const override { return file_.dim(); }
    Matrix draw_train(std::size_t n, Rng& rng) const override { return file_.draw_train(n, rng); }
    Matrix draw_test(std::size_t n, Rng& rng) const override { return file_.draw_test(n, rng); }

    // {height, width}: pixel (r, c) of a row is column r * width + c.
    const std::vector<std::size_t>& shape() const { return shape_; }
    // The split, its sizes and the pixel rows (FileSource's contract).
    const FileSource& file() const { return file_; }
    // Every row of the training pool, in the pool's order: what a feature map is fitted on
    // (never the test split).
    Matrix training_pool() const;
    // The class label of every row of training_pool(), in the same order; empty when the images
    // have no labels.
    std::vector<int> training_labels() const;

private:
    std::string description_;
    std::vector<std::size_t> shape_;
    std::vector<int> labels_;  // of every image (file_.data() row order), or empty
    FileSource file_;
};

// Reads the images, keeps the chosen classes and builds the source. Throws ConfigError for a bad
// option (unknown kind, a label filter without labels, a filter that keeps fewer than 2 images)
// naming the source.* key, and the readers' DataError for a bad file. For path =
// "fashion-mnist" a missing package is a DataError that says how to install it.
ImageSource load_image_source(const ImageSourceOptions& options);

// Where Debian's dataset-fashion-mnist package installs its files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

}  // namespace madlab
