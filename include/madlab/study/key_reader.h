#pragma once
// Typed, validated reading of a FlatConfig: every getter names the key, its file and line in the
// ConfigError it throws, and the reader remembers which keys it read so that the rest can be
// reported as unknown (with the closest valid key).

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/study/flat_config.h"

namespace madlab {

// "a, b, c"
inline std::string join(const std::vector<std::string>& items) {
    return fmt::format("{}", fmt::join(items, ", "));
}

// Reads typed values from a FlatConfig, remembering which keys it read.
class KeyReader {
public:
    // `own`: the keys this reader answers for (a setting's overrides); keys of `flat` outside
    // it were inherited from the base and already checked there. nullptr: all keys are own.
    explicit KeyReader(const FlatConfig& flat, const FlatConfig* own = nullptr)
        : flat_(flat), own_(own) {}

    bool has(const std::string& key) const { return flat_.find(key) != nullptr; }
    // Whether the key was written here rather than inherited.
    bool has_own(const std::string& key) const {
        return own_ ? own_->find(key) != nullptr : has(key);
    }

    // Where `key` was written ("study.toml line 7"). A key the file does not hold (a required
    // key left out) is placed in its section, "study.toml [model]", or in the file when the
    // section is missing too; "the built-in default" only when no key came from a file.
    std::string where(const std::string& key) const {
        if (const FlatEntry* e = flat_.find(key)) return e->where();
        const std::string section = key.substr(0, key.rfind('.') + 1);  // "model."
        const FlatEntry* any_of_file = nullptr;
        for (const auto& [name, entry] : flat_.entries()) {
            if (entry.file.empty()) continue;
            if (!section.empty() && name.rfind(section, 0) == 0)
                return fmt::format("{} [{}]", entry.file, section.substr(0, section.size() - 1));
            if (!any_of_file) any_of_file = &entry;
        }
        if (any_of_file) return any_of_file->file;
        return "the built-in default";
    }

    [[noreturn]] void fail(const std::string& key, const std::string& message) const {
        throw ConfigError(fmt::format("{}: {} {}", where(key), key, message));
    }

    const toml::node* node(const std::string& key) {
        const FlatEntry* e = flat_.find(key);
        if (!e) return nullptr;
        used_.insert(key);
        return e->value.get();
    }

    std::string get_string(const std::string& key, const std::string& fallback,
                           const std::vector<std::string>& allowed = {}) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        auto v = n->value<std::string>();
        if (!v) fail(key, "must be a string (in double quotes)");
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *v) == allowed.end())
            fail(key, fmt::format("= \"{}\" is not valid; use one of: {}", *v, join(allowed)));
        return *v;
    }

    bool get_bool(const std::string& key, bool fallback) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        auto v = n->value_exact<bool>();
        if (!v) fail(key, "must be true or false");
        return *v;
    }

    std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                         std::int64_t max = std::numeric_limits<std::int64_t>::max()) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        auto v = n->value_exact<std::int64_t>();
        if (!v) fail(key, "must be an integer (no quotes, no decimal point)");
        if (*v < min || *v > max) {
            if (max == std::numeric_limits<std::int64_t>::max())
                fail(key, fmt::format("= {} is out of range; it must be >= {}", *v, min));
            fail(key, fmt::format("= {} is out of range; it must be in [{}, {}]", *v, min, max));
        }
        return *v;
    }

    double to_double(const std::string& key, const toml::node& n) const {
        if (auto i = n.value_exact<std::int64_t>()) return static_cast<double>(*i);
        if (auto d = n.value_exact<double>()) {
            if (!std::isfinite(*d)) fail(key, "must be a finite number");
            return *d;
        }
        fail(key, "must be a number");
    }

    // A number in [min, max] (or (min, max] when min_open).
    double get_double(const std::string& key, double fallback, double min, double max,
                      bool min_open = false) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        const double v = to_double(key, *n);
        if ((min_open ? v <= min : v < min) || v > max)
            fail(key, fmt::format("= {} is out of range; it must be in {}{}, {}]", v,
                                  min_open ? "(" : "[", min, max));
        return v;
    }

    std::vector<double> get_vector(const std::string& key) {
        const toml::node* n = node(key);
        if (!n) return {};
        const toml::array* a = n->as_array();
        if (!a) fail(key, "must be an array of numbers, e.g. [0.0, 1.0]");
        std::vector<double> out;
        for (const auto& item : *a) out.push_back(to_double(key, item));
        return out;
    }

    std::vector<std::string> get_strings(const std::string& key,
                                         const std::vector<std::string>& fallback,
                                         const std::vector<std::string>& allowed) {
        const toml::node* n = node(key);
        if (!n) return fallback;
        const toml::array* a = n->as_array();
        if (!a) fail(key, "must be an array of strings, e.g. [\"frechet\", \"prdc\"]");
        std::vector<std::string> out;
        for (const auto& item : *a) {
            auto v = item.value<std::string>();
            if (!v) fail(key, "must be an array of strings");
            if (std::find(allowed.begin(), allowed.end(), *v) == allowed.end())
                fail(key, fmt::format("contains \"{}\"; valid names: {}", *v, join(allowed)));
            out.push_back(*v);
        }
        return out;
    }

    // Throws for the first key that was present but never read.
    void reject_unused(const std::vector<std::string>& valid) const {
        for (const auto& [key, entry] : (own_ ? *own_ : flat_).entries()) {
            if (used_.count(key)) continue;
            if (std::find(valid.begin(), valid.end(), key) != valid.end())
                throw ConfigError(
                    fmt::format("{}: {} does not apply here: it belongs to another source.kind or "
                                "model.family (see docs/config.md); remove it",
                                entry.where(), key));
            std::string message = fmt::format("{}: unknown key '{}'", entry.where(), key);
            if (auto near = closest_key(key, valid))
                message += fmt::format("; did you mean '{}'?", *near);
            else
                message += "; see docs/config.md for the valid keys";
            throw ConfigError(message);
        }
    }

private:
    const FlatConfig& flat_;
    const FlatConfig* own_;
    std::set<std::string> used_;
};

}  // namespace madlab
