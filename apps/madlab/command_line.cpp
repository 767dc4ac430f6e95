#include "command_line.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/printable.h"
#include "madlab/study/flat_config.h"

namespace madlab::cli {

CLI::Validator whole_number(long long min, long long max) {
    const std::string range = max == std::numeric_limits<int>::max()
                                  ? fmt::format(">= {}", min)
                                  : fmt::format("from {} to {}", min, max);
    return CLI::Validator(
        [min, max, range](std::string& text) -> std::string {
            long long value = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec == std::errc() && end == text.data() + text.size() && value >= min &&
                value <= max)
                return "";
            return fmt::format("must be a whole number {}, not '{}'", range, printable(text));
        },
        "INT " + range);
}

CLI::Option* add_set_option(CLI::App& command, std::vector<std::string>& set,
                            const std::string& recorded_in) {
    return command
        .add_option("--set", set,
                    "KEY=VALUE: override a config key of the study (repeatable; the value is "
                    "TOML: --set study.seeds=3 --set schedule.n=500 --set "
                    "'sweep.model.bias=[1.0, 0.9]'), checked as the file's keys are; recorded "
                    "in " +
                        recorded_in)
        ->allow_extra_args(false);  // one KEY=VALUE per --set: a study file after it stays one
}

void check_output_file(const std::string& option, const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (path.empty()) throw ConfigError(fmt::format("{} is empty; give a file name", option));
    if (fs::is_directory(path, ec))
        throw ConfigError(fmt::format(
            "{} {}: that is a folder; give a file name inside it, e.g. {}/{}", option, path,
            path == "/" ? "" : fs::path(path).lexically_normal().string(), "out"));
    const fs::path folder = fs::path(path).parent_path();
    if (folder.empty()) return;  // the current folder
    if (!fs::exists(folder, ec))
        throw ConfigError(fmt::format(
            "{} {}: the folder '{}' does not exist; create it first (mkdir -p {}) or give a "
            "path in a folder that exists",
            option, path, folder.string(), folder.string()));
    if (!fs::is_directory(folder, ec))
        throw ConfigError(fmt::format("{} {}: '{}' is a file, not a folder; give another path",
                                      option, path, folder.string()));
}

std::optional<std::string> unknown_subcommand(const CLI::App& app, int argc, char** argv) {
    if (argc < 2) return std::nullopt;
    const std::string word = argv[1];
    if (word.empty() || word[0] == '-') return std::nullopt;
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->check_name(word)) return std::nullopt;
        names.push_back(sub->get_name());
    }
    std::string message = fmt::format("'{}' is not a madlab command", printable(word));
    if (auto near = closest_key(word, names)) message += fmt::format("; did you mean '{}'?", *near);
    message += fmt::format(". The commands: {} (madlab --help says what each does)",
                           fmt::join(names, ", "));
    return message;
}

std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error, int argc,
                                char** argv) {
    std::string message = printable(error.what(), true);
    if (dynamic_cast<const CLI::ExtrasError*>(&error) == nullptr || argc < 2) return message;
    // The subcommand argv names, and the long names of its options.
    const CLI::App* command = &app;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        if (sub->check_name(argv[1])) command = sub;
    std::vector<std::string> options;
    for (const CLI::Option* option : command->get_options())
        for (const std::string& name : option->get_lnames()) options.push_back("--" + name);
    std::vector<std::string> hints;
    for (int i = 2; i < argc; ++i) {
        const std::string word = argv[i];
        if (word == "--") break;
        if (word.rfind("--", 0) != 0) continue;
        const std::string name = word.substr(0, word.find('='));
        if (std::find(options.begin(), options.end(), name) != options.end()) continue;
        if (auto near = closest_key(name, options))
            hints.push_back(fmt::format("'{}': did you mean '{}'?", printable(name), *near));
        else
            hints.push_back(fmt::format("'{}' is not an option of `madlab {}`", printable(name),
                                        command->get_name()));
    }
    if (!hints.empty()) message += fmt::format(" ({})", fmt::join(hints, "; "));
    return message;
}

}  // namespace madlab::cli
