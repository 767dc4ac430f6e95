// Fuzz target: the UCI optical digits CSV (plain or gzip-compressed) through read_digits_csv.
// Seeds: corpus/digits.
#include "fuzz_input.h"
#include "madlab/core/error.h"
#include "madlab/data/image_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = madlab::fuzz::write_input(data, size, ".tra");
    try {
        madlab::read_digits_csv(path);
    } catch (const madlab::Error&) {
    }
    return 0;
}
