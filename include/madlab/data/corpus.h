#pragma once
// Text data: a tokenised corpus, lines of token ids over a vocabulary. Layout, fixed once: the
// tokens of all lines are stored back to back in `tokens`; line i is tokens[offsets[i],
// offsets[i+1]) and offsets has lines() + 1 entries (offsets[0] = 0). Lines hold words only:
// `<s>` and `</s>` are implied around every line (KenLM's convention) and never stored.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace madlab {

using TokenId = std::uint32_t;

// Words and their ids. Ids 0, 1 and 2 are reserved for <unk>, <s> and </s>; words get ids from
// 3 in order of first appearance. Not thread-safe while growing; share a const Vocabulary once
// built.
class Vocabulary {
public:
    static constexpr TokenId kUnk = 0;
    static constexpr TokenId kBos = 1;
    static constexpr TokenId kEos = 2;

    Vocabulary();
    // The id of `word`, adding it if new.
    TokenId add(std::string_view word);
    // The id of `word` if known.
    std::optional<TokenId> find(std::string_view word) const;
    const std::string& word(TokenId id) const { return words_.at(id); }
    std::size_t size() const { return words_.size(); }

private:
    // Hashes std::string and std::string_view alike, so that add() and find() look a
    // string_view up without building a std::string (C++20 heterogeneous lookup, P0919R3).
    struct WordHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::vector<std::string> words_;
    std::unordered_map<std::string, TokenId, WordHash, std::equal_to<>> ids_;
};

struct Corpus {
    std::shared_ptr<const Vocabulary> vocabulary;
    std::vector<TokenId> tokens;
    std::vector<std::size_t> offsets{0};

    std::size_t lines() const { return offsets.size() - 1; }
    std::size_t token_count() const { return tokens.size(); }
    std::span<const TokenId> line(std::size_t i) const {
        return {tokens.data() + offsets[i], offsets[i + 1] - offsets[i]};
    }
    // Appends one line of ids.
    void add_line(std::span<const TokenId> ids) {
        tokens.insert(tokens.end(), ids.begin(), ids.end());
        offsets.push_back(tokens.size());
    }
};

// The row operations of core/matrix.h for text, a line being a row. append_rows takes the
// vocabulary of `lines` when `to` has none; both corpora must share it.
inline std::size_t row_count(const Corpus& corpus) { return corpus.lines(); }
void append_rows(Corpus& to, const Corpus& lines);
Corpus select_rows(const Corpus& corpus, const std::vector<std::size_t>& lines);

}  // namespace madlab
