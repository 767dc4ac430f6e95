#pragma once
// Reads image data sets: IDX files (MNIST, Fashion-MNIST; gzip-compressed or not) and the UCI
// optical digits CSV (scikit-learn's digits: 64 pixel columns 0..16 and a label, no header).
//
// Images become rows of a Matrix: image i is row i, pixel (r, c) of an h x w image is column
// r * w + c (row-major, as the files store them), scaled to [0, 1] (IDX bytes / 255, digits
// cells / 16). The image shape {h, w} is kept beside the matrix for display.
//
// IDX (LeCun et al.'s format): bytes 0-1 are zero, byte 2 the element type (0x08 = unsigned
// byte, the only one these data sets use and the only one read), byte 3 the number of
// dimensions, then each dimension as a big-endian uint32, then the elements in C order. Image
// files have 3 dimensions (n, h, w), label files 1 (n). A file whose first two bytes are gzip's
// magic is decompressed with zlib as it is read.

#include <cstddef>
#include <string>
#include <vector>

#include "madlab/core/matrix.h"

namespace madlab {

struct ImageSet {
    Matrix pixels;                   // n x (h * w), values in [0, 1]
    std::vector<std::size_t> shape;  // {h, w}
    std::vector<int> labels;         // n class labels, or empty when the set has none
    std::size_t count() const { return static_cast<std::size_t>(pixels.rows()); }
};

// Reads an IDX image file (3 dimensions, unsigned bytes). Throws DataError naming the file and
// what is wrong: unreadable, not gzip data where it says so, bad magic bytes, an element type
// other than unsigned byte, not 3 dimensions, a zero dimension, truncated or trailing data.
ImageSet read_idx_images(const std::string& path);

// Reads an IDX label file (1 dimension, unsigned bytes); the same errors.
std::vector<int> read_idx_labels(const std::string& path);

// Reads an IDX image file and its label file and checks that both hold the same number of
// items (DataError naming both files otherwise). An empty labels_path reads no labels.
ImageSet read_idx_dataset(const std::string& images_path, const std::string& labels_path);

// The label file that goes with an MNIST-style image file: "...-images-idx3-ubyte[.gz]" ->
// "...-labels-idx1-ubyte[.gz]"; "" when the name does not follow that pattern.
std::string idx_labels_path_for(const std::string& images_path);

// Reads the UCI optical digits CSV (plain or .gz): 65 comma-separated integers a line, 64
// pixels 0..16 of an 8 x 8 image and the label 0..9. Throws DataError naming the file and
// the 1-based line for a wrong cell count, a non-integer, or a value out of range.
ImageSet read_digits_csv(const std::string& path);

// The whole content of a file, decompressed with zlib when it starts with gzip's magic bytes.
// Throws DataError naming the file if it cannot be read or its gzip data is corrupt or cut.
std::string read_maybe_gzip(const std::string& path);

}  // namespace madlab
