#include "madlab/study/flat_config.h"

#include <fmt/core.h>

#include <algorithm>
#include <climits>
#include <sstream>

#include "madlab/core/error.h"

namespace madlab {

namespace {

void flatten(const toml::table& table, const std::string& prefix, const std::string& file,
             const std::set<std::string>& skip, std::map<std::string, FlatEntry>& out) {
    for (const auto& [key, node] : table) {
        const std::string name =
            prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
        if (prefix.empty() && skip.count(name) != 0) continue;
        if (const toml::table* sub = node.as_table()) {
            flatten(*sub, name, file, skip, out);
            continue;
        }
        FlatEntry entry;
        entry.file = file;
        entry.line = static_cast<int>(node.source().begin.line);
        entry.column = static_cast<int>(node.source().begin.column);
        if (entry.line == 0) {
            entry.line = static_cast<int>(key.source().begin.line);
            entry.column = static_cast<int>(key.source().begin.column);
        }
        entry.order = {entry.line, entry.column};
        entry.value = std::shared_ptr<toml::node>(node.visit(
            [](const auto& n) -> toml::node* { return new std::decay_t<decltype(n)>(n); }));
        out[name] = std::move(entry);
    }
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

}  // namespace

std::string FlatEntry::where() const {
    if (file.empty()) return "the built-in default";
    if (line == 0) return file;
    return fmt::format("{} line {}", file, line);
}

FlatConfig FlatConfig::from_table(const toml::table& table, const std::string& file,
                                  const std::set<std::string>& skip) {
    FlatConfig config;
    flatten(table, "", file, skip, config.entries_);
    return config;
}

void FlatConfig::override_with(const FlatConfig& overrides) {
    for (const auto& [key, entry] : overrides.entries_) entries_[key] = entry;
}

void FlatConfig::erase_prefix(const std::string& prefix, const FlatConfig& keep) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->first.rfind(prefix, 0) == 0 && keep.find(it->first) == nullptr)
            it = entries_.erase(it);
        else
            ++it;
    }
}

const FlatEntry* FlatConfig::find(const std::string& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
}

FlatConfig parse_set_option(const std::string& assignment) {
    const std::string where = fmt::format("--set {}", assignment);
    const std::size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError(fmt::format("{}: write KEY=VALUE, e.g. --set schedule.n=500", where));
    if (assignment.find_first_of("\r\n") != std::string::npos)
        throw ConfigError(fmt::format("{}: KEY=VALUE must be on one line", where));
    const std::string key = assignment.substr(0, eq);
    const std::string value = assignment.substr(eq + 1);
    if (key.find_first_not_of(" \t") == std::string::npos)
        throw ConfigError(fmt::format("{}: the key is empty; write KEY=VALUE", where));
    if (key == "settings" || key.rfind("settings.", 0) == 0)
        throw ConfigError(fmt::format(
            "{}: [[settings]] cannot be changed with --set; edit the study file (--set changes "
            "the base sections, [study] and [sweep])",
            where));
    if (value.find_first_not_of(" \t") == std::string::npos)
        throw ConfigError(fmt::format("{}: the value is empty; write KEY=VALUE", where));
    const std::string source = "--set";
    toml::table table;
    try {
        const std::string document = key + " = " + value;
        table = toml::parse(document, source);
    } catch (const toml::parse_error&) {
        // Not a TOML value: a bare word such as a path, or a string whose quotes the shell took.
        std::ostringstream quoted;
        quoted << toml::value<std::string>(value);
        try {
            const std::string document = key + " = " + quoted.str();
            table = toml::parse(document, source);
        } catch (const toml::parse_error& e) {
            throw ConfigError(
                fmt::format("{}: '{}' is not a config key ({}); write KEY=VALUE "
                            "with a dotted key, e.g. schedule.n=500",
                            where, key, e.description()));
        }
    }
    FlatConfig flat = FlatConfig::from_table(table, "--set");
    FlatConfig out;
    for (auto [name, entry] : flat.entries()) {
        entry.line = 0;  // where() is then "--set"
        entry.column = 0;
        out.set(name, std::move(entry));
    }
    return out;
}

void apply_set_options(FlatConfig& flat, const std::vector<std::string>& assignments) {
    int added = 0;
    for (const std::string& assignment : assignments) {
        const FlatConfig set = parse_set_option(assignment);
        for (auto [name, entry] : set.entries()) {
            const FlatEntry* replaced = flat.find(name);
            entry.order = replaced ? replaced->order : std::pair(INT_MAX, ++added);
            flat.set(name, std::move(entry));
        }
    }
}

std::optional<std::string> closest_key(const std::string& key,
                                       const std::vector<std::string>& valid) {
    // A key in the wrong section: the same last component elsewhere.
    const std::string last = key.substr(key.rfind('.') + 1);
    for (const auto& candidate : valid)
        if (candidate != key && candidate.substr(candidate.rfind('.') + 1) == last)
            return candidate;
    std::optional<std::string> best;
    std::size_t best_distance = 0;
    for (const auto& candidate : valid) {
        if (candidate == key) continue;
        const std::size_t d = edit_distance(key, candidate);
        if (!best || d < best_distance) {
            best = candidate;
            best_distance = d;
        }
    }
    // Accept up to a third of the key's length in edits (typos, not different words).
    if (best && best_distance <= std::max<std::size_t>(2, key.size() / 3)) return best;
    return std::nullopt;
}

}  // namespace madlab
