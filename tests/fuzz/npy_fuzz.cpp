// Fuzz target: a NumPy .npy file through read_npy (source.kind = "npy", `madlab metrics`,
// the external family's samples). Seeds: tests/data/*.npy.
#include "fuzz_input.h"
#include "madlab/core/error.h"
#include "madlab/data/npy_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = madlab::fuzz::write_input(data, size, ".npy");
    try {
        madlab::read_npy(path);
    } catch (const madlab::Error&) {
    }
    return 0;
}
