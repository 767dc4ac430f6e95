// Fuzz target: a CSV data file through read_csv_table (source.kind = "csv", `madlab metrics`).
// Seeds: corpus/csv.
#include "fuzz_input.h"
#include "madlab/core/error.h"
#include "madlab/data/csv_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = madlab::fuzz::write_input(data, size, ".csv");
    try {
        madlab::read_csv_table(path);
    } catch (const madlab::Error&) {
    }
    return 0;
}
