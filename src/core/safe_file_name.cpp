#include "madlab/core/safe_file_name.h"

#include <fmt/core.h>

#include <cctype>

#include "madlab/core/rng.h"

namespace madlab {

std::string safe_file_name(const std::string& name) {
    std::string out;
    for (char c : name)
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                (c == '.' && !out.empty()))
                   ? c
                   : '_';
    if (out == name) return out;
    return fmt::format("{}-{:08x}", out, hash_tag(name) & 0xffffffffu);
}

}  // namespace madlab
