#include "madlab/store/shard.h"

#include <fmt/core.h>

#include <charconv>

#include "madlab/core/error.h"

namespace madlab {

std::string Shard::to_string() const { return fmt::format("{}/{}", index, count); }

Shard parse_shard(const std::string& text, const std::string& where) {
    const auto fail = [&](const std::string& why) {
        return ConfigError(
            fmt::format("{} {}: {}; give K/N, the shard K (counted from 0) of N, e.g. 0/4 ... 3/4",
                        where, text, why));
    };
    const auto slash = text.find('/');
    if (slash == std::string::npos) throw fail("no '/'");
    Shard shard;
    const auto parse = [&](std::size_t from, std::size_t to, int& value) {
        const auto [end, ec] = std::from_chars(text.data() + from, text.data() + to, value);
        if (from == to || ec != std::errc() || end != text.data() + to)
            throw fail(fmt::format("'{}' is not a whole number", text.substr(from, to - from)));
    };
    parse(0, slash, shard.index);
    parse(slash + 1, text.size(), shard.count);
    if (shard.count < 1) throw fail("N must be at least 1");
    if (shard.index < 0 || shard.index >= shard.count)
        throw fail(fmt::format("K must be between 0 and {}", shard.count - 1));
    return shard;
}

}  // namespace madlab
