#pragma once
// A TOML document flattened to dotted keys ("model.bias" -> value), each value remembering the
// file and line it came from. Settings override keys of the base by replacing entries, and the
// typed reader (study_config.h) marks every key it reads, so that a key nobody read is reported
// as unknown with its line and the closest valid key.

#include <toml++/toml.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace madlab {

struct FlatEntry {
    std::shared_ptr<toml::node> value;  // a leaf: a value or an array
    std::string file;                   // where it was written ("" for built-in defaults)
    int line = 0;                       // 1-based line, 0 if unknown
    int column = 0;                     // 1-based column (orders keys written on one line)
    // Where the key stands among the file's keys (the [sweep] axes are ordered by it): its
    // (line, column), and for a key given on the command line (`madlab run --set`, file "--set",
    // line 0) the place of the key it replaces, or after every key of the file.
    std::pair<int, int> order{0, 0};
    std::string where() const;  // "study.toml line 7", "--set" or "the built-in default"
};

class FlatConfig {
public:
    // Flattens every table of `table` except the keys listed in `skip` (e.g. "settings").
    // A key written with dots inside quotes ("schedule.preset" = ...) is treated as a path.
    static FlatConfig from_table(const toml::table& table, const std::string& file,
                                 const std::set<std::string>& skip = {});

    // Replaces or adds the entries of `overrides`.
    void override_with(const FlatConfig& overrides);
    void set(const std::string& key, FlatEntry entry) { entries_[key] = std::move(entry); }
    // Removes every key that starts with `prefix` (e.g. "source.") except those in `keep`.
    void erase_prefix(const std::string& prefix, const FlatConfig& keep);

    const FlatEntry* find(const std::string& key) const;
    const std::map<std::string, FlatEntry>& entries() const { return entries_; }

private:
    std::map<std::string, FlatEntry> entries_;
};

// A `--set KEY=VALUE` of the command line as a FlatConfig of its leaves (an inline table sets
// each of its keys), each placed at "--set" (FlatEntry::file) so that a wrong key or value is
// reported there. VALUE is TOML (500, 0.5, "text", [1, 2], true); a VALUE that is not TOML is
// taken as a string (the shell removes the quotes of --set study.name="x"). Throws ConfigError
// when the text is not KEY=VALUE or KEY is not a dotted key.
FlatConfig parse_set_option(const std::string& assignment);

// Applies `madlab run --set` options, in order, to the flat keys of a study file: each replaces
// the key it names (keeping its place in the order of the file's keys) or adds it after them.
void apply_set_options(FlatConfig& flat, const std::vector<std::string>& assignments);

// The valid key closest to `key` by edit distance, if it is close enough to be a likely typo.
std::optional<std::string> closest_key(const std::string& key,
                                       const std::vector<std::string>& valid);

}  // namespace madlab
