// Fuzz target: an IDX file (MNIST's format), plain or gzip-compressed, read both as an image
// file and as a label file (read_idx_images, read_idx_labels). Seeds: corpus/idx.
#include "fuzz_input.h"
#include "madlab/core/error.h"
#include "madlab/data/image_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = madlab::fuzz::write_input(data, size, "-images-idx3-ubyte");
    try {
        madlab::read_idx_images(path);
    } catch (const madlab::Error&) {
    }
    try {
        madlab::read_idx_labels(path);
    } catch (const madlab::Error&) {
    }
    return 0;
}
