#pragma once
// What the CLI checks of its own command line before any work starts, so that a mistake there
// exits 2 with a message that names the option and says how to fix it (main.cpp's contract):
// whole-number options, output paths, and the closest subcommand or option to a misspelt one;
// and the options that several subcommands share.

#include <CLI/CLI.hpp>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace madlab::cli {

// A validator for options that take a whole number from `min` to `max` (threads, counts). Its
// message for "abc" or "-1": "must be a whole number >= 0, not 'abc'" (CLI11's own range check
// prints the largest double instead).
CLI::Validator whole_number(long long min, long long max = std::numeric_limits<int>::max());

// Adds `--set KEY=VALUE` (repeatable, one pair per --set, in order) to `command`, collected into
// `set`; the study reader checks each pair as a key of the file (load_study). `recorded_in` says
// where the resolved config is written ("DIR/config.toml").
CLI::Option* add_set_option(CLI::App& command, std::vector<std::string>& set,
                            const std::string& recorded_in);

// Throws ConfigError unless `path` can be the file that `option` writes: its folder exists and is
// a folder, and `path` itself is not a folder. Called before the command computes anything.
void check_output_file(const std::string& option, const std::string& path);

// When argv[1] is a word that names no subcommand of `app` ("madlab frobnicate"), the message
// that says so, with the closest subcommand when one is near and the list of them; else none.
std::optional<std::string> unknown_subcommand(const CLI::App& app, int argc, char** argv);

// CLI11's message for `error`, with "did you mean '--threads'?" for each option of argv that the
// subcommand argv[1] does not have and that is close to one it has.
std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error, int argc,
                                char** argv);

}  // namespace madlab::cli
