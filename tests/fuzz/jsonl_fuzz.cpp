// Fuzz target: a JSONL corpus (one JSON object per line, the text in field "text") through
// read_text_lines. Seeds: corpus/jsonl.
#include "fuzz_input.h"
#include "madlab/core/error.h"
#include "madlab/data/text_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = madlab::fuzz::write_input(data, size, ".jsonl");
    try {
        madlab::read_text_lines(path);
    } catch (const madlab::Error&) {
    }
    return 0;
}
