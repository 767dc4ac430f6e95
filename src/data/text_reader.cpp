#include "madlab/data/text_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "io_util.h"
#include "madlab/core/error.h"
#include "madlab/core/printable.h"

namespace madlab {

namespace {

namespace fs = std::filesystem;

// The C-locale isspace set, which KenLM splits words on (kSpaces, kenlm util/file_piece.cc).
constexpr bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// The whole file as bytes.
std::string read_file(const std::string& path) {
    detail::FilePtr file = detail::open_for_reading(path);
    std::string data;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec) data.reserve(static_cast<std::size_t>(size));
    char block[1 << 16];
    for (;;) {
        const std::size_t got = std::fread(block, 1, sizeof block, file.get());
        data.append(block, got);
        if (got < sizeof block) {
            if (std::ferror(file.get())) {
                throw DataError(fmt::format("error while reading text file '{}': {}", path,
                                            std::strerror(errno)));
            }
            break;
        }
    }
    return data;
}

// Throws the DataError for the invalid byte at `offset` of `data`, the contents of `path`.
[[noreturn]] void throw_invalid_utf8(const std::string& path, std::string_view data,
                                     std::size_t offset) {
    const auto before = data.substr(0, offset);
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t newline = before.rfind('\n');
    const std::size_t column = newline == std::string_view::npos ? offset + 1 : offset - newline;
    const std::string_view wide = wide_text_encoding(data);
    if (!wide.empty())
        throw DataError(fmt::format(
            "text file '{}' is {} (it starts with a byte-order mark); madlab reads UTF-8: "
            "re-encode it, e.g. iconv -f {} -t UTF-8 in.txt > out.txt",
            path, wide, wide));
    throw DataError(fmt::format(
        "invalid UTF-8 in text file '{}' at line {}, column {} (byte 0x{:02X}): the file is "
        "probably in another encoding (Latin-1, Windows-1252...); re-encode it as UTF-8, e.g. "
        "iconv -f latin1 -t utf-8 in.txt > out.txt",
        path, line, column, static_cast<unsigned char>(data[offset])));
}

void check_utf8(const std::string& path, std::string_view data) {
    const std::size_t bad = find_invalid_utf8(data);
    if (bad != std::string_view::npos) throw_invalid_utf8(path, data, bad);
}

// Whether `line` (trimmed) is a Project Gutenberg marker line "*** START OF ..." / "*** END
// OF ..." (also the older "***START OF THE PROJECT..." with no space).
bool is_gutenberg_marker(std::string_view line, std::string_view what) {
    line = trim(line);
    if (!line.starts_with("***")) return false;
    line.remove_prefix(3);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    return line.starts_with(what);
}

// Appends the trimmed, non-empty pieces of `line` (sentences if options ask) to `out`.
void emit_line(std::string_view line, const TextOptions& options, std::vector<std::string>& out) {
    line = trim(line);
    if (line.empty()) return;
    if (!options.split_sentences) {
        out.emplace_back(line);
        return;
    }
    for (std::string_view sentence : split_sentences(line)) out.emplace_back(sentence);
}

// Reads a plain text file (see the header) and appends its lines to `out`.
void read_plain_file(const std::string& path, const TextOptions& options,
                     std::vector<std::string>& out) {
    const std::string data = read_file(path);
    check_utf8(path, data);
    std::string_view text = data;
    if (text.starts_with(kBom)) text.remove_prefix(kBom.size());

    std::vector<std::string_view> lines;
    lines.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }

    std::size_t begin = 0;
    std::size_t end = lines.size();
    if (options.gutenberg_strip) {
        for (std::size_t i = 0; i < lines.size(); ++i) {
            if (is_gutenberg_marker(lines[i], "START OF")) {
                begin = i + 1;
                break;
            }
        }
        for (std::size_t i = begin; i < lines.size(); ++i) {
            if (is_gutenberg_marker(lines[i], "END OF")) {
                end = i;
                break;
            }
        }
    }
    for (std::size_t i = begin; i < end; ++i) emit_line(lines[i], options, out);
}

// Reads a fortune(6) file (see the header): entries between lines holding only "%", the
// attribution lines ("-- Author") dropped, the rest joined by spaces into one document.
void read_fortune_file(const std::string& path, const TextOptions& options,
                       std::vector<std::string>& out) {
    const std::string data = read_file(path);
    check_utf8(path, data);
    std::string_view text = data;
    std::string entry;
    auto finish_entry = [&] {
        emit_line(entry, options, out);
        entry.clear();
    };
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line == "%") {
            finish_entry();
        } else if (!line.empty() && !line.starts_with("-- ")) {
            if (!entry.empty()) entry += ' ';
            entry += line;
        }
    }
    finish_entry();
}

// Reads a .jsonl file (see the header) and appends its documents to `out`.
void read_jsonl_file(const std::string& path, const TextOptions& options,
                     std::vector<std::string>& out) {
    for_each_jsonl_object(path, [&](std::size_t line_number, const nlohmann::json& object) {
        std::string document = jsonl_string(object, options.jsonl_field, path, line_number);
        std::replace_if(
            document.begin(), document.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
        emit_line(document, options, out);
    });
}

bool has_extension(const fs::path& p, std::string_view ext) {
    return p.extension().string() == ext;
}

void read_one_file(const std::string& path, const TextOptions& options,
                   std::vector<std::string>& out) {
    if (has_extension(path, ".jsonl")) {
        read_jsonl_file(path, options, out);
    } else if (has_extension(path, ".fortunes")) {
        read_fortune_file(path, options, out);
    } else {
        read_plain_file(path, options, out);
    }
}

// The 1-based UTF-8 sequence length that lead byte `b` announces, or 1 for an invalid lead (the
// input was validated, so that only happens on unvalidated text).
std::size_t sequence_length(unsigned char b) {
    if (b < 0xC0) return 1;
    if (b < 0xE0) return 2;
    if (b < 0xF0) return 3;
    return 4;
}

}  // namespace

void for_each_jsonl_object(
    const std::string& path,
    const std::function<void(std::size_t line, const nlohmann::json& object)>& each) {
    const std::string data = read_file(path);
    check_utf8(path, data);
    std::string_view text = data;
    if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t nl = text.find('\n');
        const std::string_view line = trim(text.substr(0, nl));
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line.empty()) continue;

        nlohmann::json object;
        try {
            object = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
            throw DataError(fmt::format(
                "bad JSONL line in '{}' at line {}: {}; each line must be one JSON object such "
                "as {{\"text\": \"some text\"}}",
                path, line_number, e.what()));
        }
        if (!object.is_object()) {
            throw DataError(
                fmt::format("bad JSONL line in '{}' at line {}: it is a JSON {}, not an object; "
                            "each line must be one JSON object such as {{\"text\": \"some text\"}}",
                            path, line_number, object.type_name()));
        }
        each(line_number, object);
    }
}

std::string jsonl_string(const nlohmann::json& object, const std::string& field,
                         const std::string& path, std::size_t line_number,
                         const std::string& missing_fix) {
    const auto it = object.find(field);
    if (it == object.end())
        throw DataError(fmt::format("JSONL line {} of '{}' has no field \"{}\"; {}", line_number,
                                    path, field, missing_fix));
    if (!it->is_string()) {
        throw DataError(fmt::format(
            "JSONL line {} of '{}': field \"{}\" is a {}, not a string; the text must be a "
            "JSON string",
            line_number, path, field, it->type_name()));
    }
    return it->get<std::string>();
}

std::size_t find_invalid_utf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        // ASCII fast path, 8 bytes at a time.
        while (i + 8 <= n) {
            std::uint64_t block;
            std::memcpy(&block, s + i, 8);
            if (block & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        const unsigned char b = s[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        // Unicode 15, table 3-7: the allowed range of the second byte depends on the lead.
        std::size_t length;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            length = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            length = 3;
            if (b == 0xE0) lo = 0xA0;  // overlong below U+0800
            if (b == 0xED) hi = 0x9F;  // surrogates U+D800..U+DFFF
        } else if (b >= 0xF0 && b <= 0xF4) {
            length = 4;
            if (b == 0xF0) lo = 0x90;  // overlong below U+10000
            if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
        } else {
            return i;  // 0x80..0xC1 (continuation or overlong lead) or 0xF5..0xFF
        }
        if (i + length > n) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (std::size_t k = 2; k < length; ++k) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        }
        i += length;
    }
    return std::string_view::npos;
}

std::vector<std::string_view> split_sentences(std::string_view line) {
    static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // …
    // Closing marks that may follow the end punctuation: » ” ’ and ASCII ones.
    static constexpr std::string_view kClosers[] = {
        "\xC2\xBB", "\xE2\x80\x9D", "\xE2\x80\x99", "\"", "'", ")", "]"};
    const auto end_mark_at = [&](std::size_t i) -> std::size_t {
        const char c = line[i];
        if (c == '.' || c == '!' || c == '?') return 1;
        if (line.substr(i).starts_with(kEllipsis)) return kEllipsis.size();
        return 0;
    };
    const auto closer_at = [&](std::size_t i) -> std::size_t {
        const std::string_view rest = line.substr(i);
        for (std::string_view closer : kClosers) {
            if (rest.starts_with(closer)) return closer.size();
        }
        return 0;
    };

    std::vector<std::string_view> sentences;
    const auto emit = [&](std::size_t from, std::size_t to) {
        const std::string_view s = trim(line.substr(from, to - from));
        if (!s.empty()) sentences.push_back(s);
    };
    std::size_t start = 0;
    std::size_t i = 0;
    const std::size_t n = line.size();
    while (i < n) {
        std::size_t len = end_mark_at(i);
        if (len == 0) {
            ++i;
            continue;
        }
        // A run of end marks and closers: "?!", "...", ".»", "?”)".
        std::size_t j = i + len;
        while (j < n) {
            if ((len = end_mark_at(j)) != 0 || (len = closer_at(j)) != 0) {
                j += len;
            } else {
                break;
            }
        }
        if (j == n || is_space(line[j])) {
            emit(start, j);
            start = j;
        }
        i = j;
    }
    emit(start, n);
    return sentences;
}

std::vector<std::string> read_text_lines(const std::string& path, const TextOptions& options) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
        throw DataError(fmt::format(
            "text path '{}' does not exist; give a text file, a .jsonl file or a folder of .txt "
            "files",
            path));
    }
    std::vector<std::string> lines;
    if (fs::is_directory(status)) {
        std::vector<fs::path> files;
        for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end;
             it.increment(ec)) {
            if (it->is_directory() && it->path().filename() == "off") {
                it.disable_recursion_pending();  // fortune(6)'s offensive fortunes
                continue;
            }
            if (it->is_regular_file() &&
                (has_extension(it->path(), ".txt") || has_extension(it->path(), ".fortunes"))) {
                files.push_back(it->path());
            }
        }
        if (ec) {
            throw DataError(
                fmt::format("cannot list text folder '{}': {}; check the path and its "
                            "permissions",
                            path, ec.message()));
        }
        if (files.empty()) {
            throw DataError(fmt::format(
                "no .txt or .fortunes files in folder '{}' (its subfolders included); put the "
                "text in files named *.txt",
                path));
        }
        std::sort(files.begin(), files.end());
        for (const fs::path& file : files) read_one_file(file.string(), options, lines);
    } else {
        read_one_file(path, options, lines);
    }
    if (lines.empty()) {
        throw DataError(fmt::format(
            "no text lines in '{}': every line is empty{}; give a file with text", path,
            options.gutenberg_strip ? " or outside the Project Gutenberg START/END markers" : ""));
    }
    return lines;
}

void tokenize(std::string_view line, TextOptions::Tokens tokens,
              std::vector<std::string_view>& out) {
    out.clear();
    const std::size_t n = line.size();
    std::size_t i = 0;
    if (tokens == TextOptions::Tokens::kWhitespace) {
        while (i < n) {
            while (i < n && is_space(line[i])) ++i;
            const std::size_t start = i;
            while (i < n && !is_space(line[i])) ++i;
            if (i > start) out.push_back(line.substr(start, i - start));
        }
        return;
    }
    line = trim(line);
    const std::size_t m = line.size();
    while (i < m) {
        if (is_space(line[i])) {
            while (i < m && is_space(line[i])) ++i;
            out.push_back(kSpaceToken);
            continue;
        }
        const std::size_t len =
            std::min(sequence_length(static_cast<unsigned char>(line[i])), m - i);
        out.push_back(line.substr(i, len));
        i += len;
    }
}

namespace {

// Tokenises `lines` into a Corpus, mapping each token to an id with `id_of`.
template <typename IdOf>
Corpus encode_lines(const std::vector<std::string>& lines, const TextOptions& options,
                    IdOf&& id_of) {
    Corpus corpus;
    std::size_t bytes = 0;
    for (const std::string& line : lines) bytes += line.size();
    // About 6 bytes a word in Spanish or English text; 1 to 2 bytes a code point.
    corpus.tokens.reserve(options.tokens == TextOptions::Tokens::kWhitespace ? bytes / 5 + 16
                                                                             : bytes + 16);
    corpus.offsets.reserve(lines.size() + 1);
    std::vector<std::string_view> words;
    for (const std::string& line : lines) {
        tokenize(line, options.tokens, words);
        if (words.size() < options.min_tokens) continue;
        for (std::string_view w : words) corpus.tokens.push_back(id_of(w));
        corpus.offsets.push_back(corpus.tokens.size());
    }
    return corpus;
}

}  // namespace

Corpus make_corpus(const std::vector<std::string>& lines, Vocabulary& vocab,
                   const TextOptions& options) {
    return encode_lines(lines, options, [&](std::string_view w) { return vocab.add(w); });
}

Corpus make_corpus(const std::vector<std::string>& lines, const TextOptions& options) {
    auto vocab = std::make_shared<Vocabulary>();
    Corpus corpus = make_corpus(lines, *vocab, options);
    corpus.vocabulary = std::move(vocab);
    return corpus;
}

Corpus encode_with(const std::vector<std::string>& lines, const Vocabulary& vocab,
                   const TextOptions& options) {
    return encode_lines(lines, options, [&](std::string_view w) {
        return vocab.find(w).value_or(Vocabulary::kUnk);
    });
}

Corpus encode_with(const std::vector<std::string>& lines, std::shared_ptr<const Vocabulary> vocab,
                   const TextOptions& options) {
    if (!vocab) throw std::invalid_argument("encode_with: null vocabulary");
    Corpus corpus = encode_with(lines, *vocab, options);
    corpus.vocabulary = std::move(vocab);
    return corpus;
}

void append_sampled_line(Corpus& out, std::string_view text, TextOptions::Tokens tokens,
                         std::size_t max_line_length) {
    if (!out.vocabulary) throw std::invalid_argument("append_sampled_line: null vocabulary");
    std::vector<std::string_view> words;
    tokenize(text, tokens, words);
    std::vector<TokenId> ids;
    ids.reserve(std::min(words.size(), max_line_length));
    for (std::string_view w : words) {
        if (ids.size() == max_line_length) break;
        TokenId id = out.vocabulary->find(w).value_or(Vocabulary::kUnk);
        if (id == Vocabulary::kBos || id == Vocabulary::kEos) id = Vocabulary::kUnk;
        ids.push_back(id);
    }
    out.add_line(ids);
}

std::string detokenize(std::span<const TokenId> ids, const Vocabulary& vocab,
                       TextOptions::Tokens tokens, std::string_view unk_text) {
    std::string text;
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const std::string_view w = ids[k] == Vocabulary::kUnk && !unk_text.empty()
                                       ? unk_text
                                       : std::string_view(vocab.word(ids[k]));
        if (tokens == TextOptions::Tokens::kWhitespace) {
            if (k > 0) text += ' ';
            text += w;
        } else if (w == kSpaceToken) {
            text += ' ';
        } else {
            text += w;
        }
    }
    return text;
}

}  // namespace madlab
