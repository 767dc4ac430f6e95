// Fuzz target: a text corpus, read as a plain text file (.txt) and as a fortune file
// (.fortunes) by read_text_lines, with sentence splitting, then tokenised both ways (words and
// characters) into a Corpus and back to text. Seeds: corpus/text.
#include <vector>

#include "fuzz_input.h"
#include "madlab/core/error.h"
#include "madlab/data/text_reader.h"

namespace {

void read_and_tokenise(const std::string& path) {
    using madlab::TextOptions;
    madlab::TextOptions options;
    options.split_sentences = true;
    std::vector<std::string> lines;
    try {
        lines = madlab::read_text_lines(path, options);
    } catch (const madlab::Error&) {
        return;
    }
    for (auto tokens : {TextOptions::Tokens::kWhitespace, TextOptions::Tokens::kCharacter}) {
        options.tokens = tokens;
        try {
            const madlab::Corpus corpus = madlab::make_corpus(lines, options);
            for (std::size_t i = 0; i < corpus.lines(); ++i)
                madlab::detokenize(corpus.line(i), *corpus.vocabulary, tokens);
        } catch (const madlab::Error&) {
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    read_and_tokenise(madlab::fuzz::write_input(data, size, ".txt"));
    read_and_tokenise(madlab::fuzz::write_input(data, size, ".fortunes"));
    return 0;
}
