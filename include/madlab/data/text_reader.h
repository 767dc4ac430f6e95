#pragma once
// Reads text into lines (one line = one document or sentence) and tokenises lines into a Corpus.
//
// Inputs read_text_lines() accepts:
//   - a plain text file: one line = one document; line ends are \n or \r\n; a UTF-8 byte order
//     mark at the start is dropped; every line is trimmed of ASCII whitespace and lines that are
//     then empty are dropped.
//   - a fortune(6) file, named *.fortunes (Debian's fortunes-es, /usr/share/games/fortunes/es):
//     entries separated by lines holding only "%"; each entry is one document, its lines joined
//     by single spaces, its attribution lines (starting with "-- " after trimming) dropped.
//   - a folder: every regular file named *.txt or *.fortunes in it and its subfolders, read as
//     above, in sorted path order (std::filesystem::path ordering), so the result never depends
//     on the order the file system lists them in. Other files (metadata.csv..., fortune's *.dat
//     and *.u8) and folders named "off" (fortune's offensive fortunes) are left out.
//   - a .jsonl file: one JSON object per line, the document text in the string field
//     `jsonl_field`. Blank lines are skipped. Newlines and carriage returns inside a document
//     become spaces, so each document stays one line.
// UTF-8 is validated strictly (Unicode 15, table 3-7 "well-formed UTF-8 byte sequences"):
// overlong forms, surrogates (U+D800..U+DFFF), code points above U+10FFFF, stray continuation
// bytes and truncated sequences are errors.
//
// Project Gutenberg: with gutenberg_strip, a text file holding a line that starts with
// "*** START OF" keeps only the lines after it, and a later line starting with "*** END OF" ends
// the text (the licence that follows is dropped). Files without the markers are read whole.
//
// Tokens (make_corpus, encode_with, tokenize):
//   - kWhitespace: words are the maximal runs of bytes other than ' ', '\t', '\n', '\v', '\f'
//     and '\r', the C-locale isspace set that KenLM splits on (kSpaces in kenlm
//     util/file_piece.cc). Unicode spaces such as U+00A0 are NOT separators, as in KenLM, so
//     counts match lmplz's on the same text.
//   - kCharacter: each Unicode code point is a token; every run of the whitespace above inside a
//     line becomes one token kSpaceToken ("▁", U+2581, SentencePiece's convention), so a line
//     can be turned back into text (detokenize); whitespace at the ends of a line is dropped. A
//     literal "▁" in the text is the same token as a space.
// Lines never hold <s> or </s>: they are implied around every line (see corpus.h).
//
// Errors are DataError naming the file, the 1-based line and, for bad bytes, the 1-based byte
// column, and saying how to fix the input.

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "madlab/data/corpus.h"

namespace madlab {

struct TextOptions {
    enum class Tokens { kWhitespace, kCharacter };
    Tokens tokens = Tokens::kWhitespace;
    // The field of each JSON object holding the text (.jsonl input only).
    std::string jsonl_field = "text";
    // Keep only the text between Project Gutenberg's "*** START OF" and "*** END OF" lines.
    bool gutenberg_strip = true;
    // Split lines into sentences after '.', '!', '?' or '…' (a run of them, e.g. "?!" or "...",
    // then any closing quotes or brackets: " ' ) ] » ” ’) when whitespace or the end of the line
    // follows. The punctuation stays with its sentence. Needed for files that hold a whole book
    // on one line (shared/data/text/es/novelas/novela-hispanoamericana). Abbreviations such as
    // "Sr. Pérez" are split too: this is a heuristic, not a sentence segmenter.
    bool split_sentences = false;
    // make_corpus and encode_with drop lines with fewer tokens than this.
    std::size_t min_tokens = 1;
};

// The token that stands for a run of whitespace in character tokenisation: "▁" (U+2581).
inline constexpr std::string_view kSpaceToken = "\xE2\x96\x81";

// Reads the lines of a text, fortune or .jsonl file or a folder of them (see above), trimmed,
// non-empty, in file order. Throws DataError if the path does not exist, a file cannot be read,
// holds invalid UTF-8 or a bad JSONL line, or no line is left ("no text lines in ...").
std::vector<std::string> read_text_lines(const std::string& path, const TextOptions& options = {});

// Splits `line` into sentences as described at TextOptions::split_sentences; the pieces are
// trimmed and non-empty and point into `line`.
std::vector<std::string_view> split_sentences(std::string_view line);

// Reads a JSONL file: calls each(line, object) for every line that is not blank (after
// trimming ASCII whitespace), with its 1-based line number; a UTF-8 byte order mark at the start
// is dropped. Throws DataError naming the file and the line when the file cannot be read, holds
// invalid UTF-8 (with the column) or a line that is not one JSON object.
void for_each_jsonl_object(
    const std::string& path,
    const std::function<void(std::size_t line, const nlohmann::json& object)>& each);

// The string field `field` of a JSONL object read by for_each_jsonl_object; throws DataError
// naming the file and the line when it is missing or not a string; `missing_fix` says how to
// fix a missing field (the corpus reader's default names source.jsonl_field).
std::string jsonl_string(const nlohmann::json& object, const std::string& field,
                         const std::string& path, std::size_t line_number,
                         const std::string& missing_fix =
                             "add it, or set source.jsonl_field to the field that holds "
                             "the text");

// The byte offset of the first byte of the first ill-formed UTF-8 sequence in `text`, or
// std::string_view::npos if `text` is valid UTF-8.
std::size_t find_invalid_utf8(std::string_view text);

// Replaces `out` with the tokens of `line` (views into `line`, or kSpaceToken). `line` must be
// valid UTF-8 for kCharacter (read_text_lines guarantees it); an invalid byte is then taken as a
// one-byte token.
void tokenize(std::string_view line, TextOptions::Tokens tokens,
              std::vector<std::string_view>& out);

// Tokenises `lines`, adding new words to `vocab`. Lines with fewer than options.min_tokens tokens
// are dropped. The result's `vocabulary` is left null: `vocab` is the caller's and may keep
// growing; attach a shared copy once it is final.
Corpus make_corpus(const std::vector<std::string>& lines, Vocabulary& vocab,
                   const TextOptions& options = {});

// As above with a fresh vocabulary, which the result holds in `vocabulary`.
Corpus make_corpus(const std::vector<std::string>& lines, const TextOptions& options = {});

// Tokenises `lines` with a fixed vocabulary: words it does not know become Vocabulary::kUnk
// (for held-out text scored by a model trained on another vocabulary). Lines with fewer than
// options.min_tokens tokens (counting <unk>s) are dropped. `vocabulary` is left null.
Corpus encode_with(const std::vector<std::string>& lines, const Vocabulary& vocab,
                   const TextOptions& options = {});

// As above; the result holds `vocab` in `vocabulary`. Requires vocab != nullptr.
Corpus encode_with(const std::vector<std::string>& lines, std::shared_ptr<const Vocabulary> vocab,
                   const TextOptions& options = {});

// Appends one line of text that a model wrote (the samples of the external and python
// families) to `out`, in the ids of out.vocabulary (which must be set): tokenised with `tokens`,
// cut after max_line_length tokens; a word outside the vocabulary, and <s> or </s> (never part
// of a line), become Vocabulary::kUnk. A line without tokens is kept as an empty line.
void append_sampled_line(Corpus& out, std::string_view text, TextOptions::Tokens tokens,
                         std::size_t max_line_length);

// The text of one line of ids: words joined by single spaces (kWhitespace), or code points
// concatenated with kSpaceToken turned back into a space (kCharacter). Ids must be < vocab.size().
// Vocabulary::kUnk is written as `unk_text` when given, else as its word "<unk>".
std::string detokenize(std::span<const TokenId> ids, const Vocabulary& vocab,
                       TextOptions::Tokens tokens, std::string_view unk_text = {});

// U+FFFD REPLACEMENT CHARACTER: how a character-level line writes <unk> for other programs, so
// that it is one unknown character again when read back (the five characters "<unk>" would not
// be).
inline constexpr std::string_view kCharUnkText = "\xEF\xBF\xBD";

}  // namespace madlab
