#pragma once
// A registry of named entries of one extension point (model families: models/model_registry.h;
// metrics: metrics/metric_registry.h), filled by static registrar objects in the entries' own
// source files. The map is a function-local static, constructed on first use, so the order in
// which the files' statics are initialised does not matter. Entry needs a `name` member.

#include <fmt/core.h>

#include <map>
#include <string>
#include <vector>

#include "madlab/core/error.h"

namespace madlab {

template <class Entry>
class Registry {
public:
    // Adds `entry` under entry.name. Throws Error naming `what` ("model family") when the name
    // is already registered (at start-up: two entries must not share a name).
    static void add(Entry entry, const char* what) {
        const std::string name = entry.name;
        if (!entries().emplace(name, std::move(entry)).second)
            throw Error(fmt::format("two {} entries are registered as '{}'", what, name));
    }
    // Every entry, sorted by name.
    static std::vector<const Entry*> all() {
        std::vector<const Entry*> out;
        for (const auto& [name, entry] : entries()) out.push_back(&entry);
        return out;
    }
    // The entry of that name, or nullptr.
    static const Entry* find(const std::string& name) {
        const auto it = entries().find(name);
        return it == entries().end() ? nullptr : &it->second;
    }
    // The names of every entry, sorted.
    static std::vector<std::string> names() {
        std::vector<std::string> out;
        for (const auto& [name, entry] : entries()) out.push_back(name);
        return out;
    }

private:
    static std::map<std::string, Entry>& entries() {
        static std::map<std::string, Entry> map;
        return map;
    }
};

}  // namespace madlab
