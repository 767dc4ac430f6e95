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
