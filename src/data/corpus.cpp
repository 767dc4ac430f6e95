#include "madlab/data/corpus.h"

namespace madlab {

Vocabulary::Vocabulary() {
    add("<unk>");
    add("<s>");
    add("</s>");
}

TokenId Vocabulary::add(std::string_view word) {
    auto it = ids_.find(word);
    if (it != ids_.end()) return it->second;
    const TokenId id = static_cast<TokenId>(words_.size());
    words_.emplace_back(word);
    ids_.emplace(words_.back(), id);
    return id;
}

std::optional<TokenId> Vocabulary::find(std::string_view word) const {
    auto it = ids_.find(word);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
}

}  // namespace madlab

namespace madlab {

void append_rows(Corpus& to, const Corpus& lines) {
    if (!to.vocabulary) to.vocabulary = lines.vocabulary;
    for (std::size_t i = 0; i < lines.lines(); ++i) to.add_line(lines.line(i));
}

Corpus select_rows(const Corpus& corpus, const std::vector<std::size_t>& lines) {
    Corpus out;
    out.vocabulary = corpus.vocabulary;
    for (std::size_t i : lines) out.add_line(corpus.line(i));
    return out;
}

}  // namespace madlab
