#include "madlab/models/external.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "madlab/core/atomic_file.h"
#include "madlab/core/child_process.h"
#include "madlab/core/error.h"
#include "madlab/core/printable.h"
#include "madlab/data/npy_reader.h"

namespace madlab {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kPlaceholders = {"train", "model_dir", "samples",    "n",
                                                "bias",  "seed",      "chain_seed", "generation",
                                                "dim",   "setting",   "text",       "scores"};

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

// A placeholder that the command puts inside its own quotes or after a backslash, where the
// shell-quoted value is no longer one word the shell takes literally.
struct QuotedPlaceholder {
    std::string name;   // "setting"
    std::string where;  // "inside double quotes"
    std::string fixed;  // the command with every such placeholder outside its quotes
};

// Reads `command` as the shell reads its quotes: '...' (no escapes), $'...' and "..."
// (backslash escapes; "$(...)" and "`...`" inside start unquoted text again), a backslash
// outside quotes; {{ and }} are literal braces. Returns the first placeholder inside quotes or
// after a backslash, or nullopt when every placeholder stands in unquoted text.
std::optional<QuotedPlaceholder> find_quoted_placeholder(const std::string& command) {
    // Nesting of quotes and command substitutions: '\'' single, '$' $'...', '"' double,
    // '(' $(...) or a subshell, '`' backticks. Quoted: the first three.
    struct Context {
        char kind;
        std::size_t opened_at;  // fixed.size() just after the opening quote
        bool reopened = false;  // the quote at opened_at was reopened after a placeholder
    };
    std::vector<Context> stack;
    std::optional<QuotedPlaceholder> found;
    std::string fixed;
    auto kind = [&] { return stack.empty() ? '\0' : stack.back().kind; };
    auto quoted = [&] { return kind() == '\'' || kind() == '$' || kind() == '"'; };
    auto opener = [](char k) { return std::string(k == '$' ? "$'" : k == '"' ? "\"" : "'"); };
    auto push = [&](char k, const std::string& text) {
        fixed += text;
        stack.push_back({k, fixed.size()});
    };
    auto close_quote = [&](char c) {  // the closing quote of the innermost (quoted) context
        const Context top = stack.back();
        stack.pop_back();
        if (top.reopened && fixed.size() == top.opened_at)
            fixed.resize(fixed.size() - opener(top.kind).size());  // drop an empty "" we made
        else
            fixed += c;
    };
    for (std::size_t i = 0; i < command.size(); ++i) {
        const char c = command[i];
        const char next = i + 1 < command.size() ? command[i + 1] : '\0';
        if ((c == '{' || c == '}') && next == c) {
            fixed += command.substr(i++, 2);
            continue;
        }
        if (c == '{' && command.find('}', i) != std::string::npos) {
            const std::size_t close = command.find('}', i);
            const std::string placeholder = command.substr(i, close - i + 1);
            i = close;
            if (!quoted()) {
                fixed += placeholder;
                continue;
            }
            const char k = kind();
            if (!found)
                found = QuotedPlaceholder{
                    placeholder.substr(1, placeholder.size() - 2),
                    k == '"' ? "inside double quotes" : "inside single quotes", ""};
            // Close the quote before the placeholder (or drop it when it opened right there)
            // and open it again after.
            const std::string open = opener(k);
            if (fixed.size() == stack.back().opened_at)
                fixed.resize(fixed.size() - open.size());
            else
                fixed += k == '"' ? '"' : '\'';
            fixed += placeholder + open;
            stack.back().opened_at = fixed.size();
            stack.back().reopened = true;
            continue;
        }
        if (c == '\\' && kind() != '\'') {  // escapes the next character
            if (next == '{' && command.compare(i + 1, 2, "{{") != 0 &&
                command.find('}', i + 1) != std::string::npos) {
                if (!found)
                    found =
                        QuotedPlaceholder{command.substr(i + 2, command.find('}', i + 1) - i - 2),
                                          "after a backslash", ""};
                continue;  // dropped from the fixed command; the placeholder follows
            }
            fixed += command.substr(i, 2);
            ++i;
            continue;
        }
        switch (kind()) {
            case '\'':
            case '$':
                if (c == '\'') {
                    close_quote(c);
                    continue;
                }
                break;
            case '"':
                if (c == '"') {
                    close_quote(c);
                    continue;
                }
                if (c == '$' && next == '(') {
                    push('(', "$(");
                    ++i;
                    continue;
                }
                if (c == '`') {
                    push('`', "`");
                    continue;
                }
                break;
            default:  // unquoted text, $(...) or `...`
                if (c == '\'') {
                    push('\'', "'");
                    continue;
                }
                if (c == '$' && next == '\'') {
                    push('$', "$'");
                    ++i;
                    continue;
                }
                if (c == '"') {
                    push('"', "\"");
                    continue;
                }
                if (c == '$' && next == '(') {
                    push('(', "$(");
                    ++i;
                    continue;
                }
                if (c == '(') {
                    push('(', "(");
                    continue;
                }
                if ((c == ')' && kind() == '(') || (c == '`' && kind() == '`')) {
                    stack.pop_back();
                    fixed += c;
                    continue;
                }
                if (c == '`') {
                    push('`', "`");
                    continue;
                }
                break;
        }
        fixed += c;
    }
    if (found) found->fixed = fixed;
    return found;
}

// Replaces {name} by the shell-quoted value; `key` names the config key in errors. Throws
// ConfigError for a placeholder inside the command's own quotes (find_quoted_placeholder).
std::string substitute(const std::string& command, const std::map<std::string, std::string>& values,
                       const char* key) {
    if (const auto q = find_quoted_placeholder(command))
        throw ConfigError(fmt::format(
            "{} = \"{}\": the placeholder {{{}}} is {}; madlab inserts every placeholder "
            "already shell-quoted, and inside your own quotes a value with a quote in it (a "
            "setting's name, a path) would run as shell code. Write placeholders without quotes: "
            "{} = \"{}\" (for a command that another shell runs, such as sh -c '...', pass the "
            "value as an argument: sh -c 'echo \"$1\"' sh {{{}}}); see docs/external.md",
            key, command, q->name, q->where, key, q->fixed, q->name));
    std::string out;
    for (std::size_t i = 0; i < command.size(); ++i) {
        // {{ and }} are literal braces (awk '{{print $1}}').
        if ((command[i] == '{' || command[i] == '}') && i + 1 < command.size() &&
            command[i + 1] == command[i]) {
            out += command[i++];
            continue;
        }
        if (command[i] != '{') {
            out += command[i];
            continue;
        }
        const std::size_t close = command.find('}', i);
        if (close == std::string::npos) {
            out += command.substr(i);
            break;
        }
        const std::string name = command.substr(i + 1, close - i - 1);
        if (std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end())
            throw ConfigError(fmt::format("{} = \"{}\": unknown placeholder {{{}}}; use {{{}}}",
                                          key, command, name,
                                          fmt::format("{}", fmt::join(kPlaceholders, "}, {"))));
        const auto it = values.find(name);
        if (it == values.end())
            throw ConfigError(fmt::format("{} = \"{}\": {{{}}} is not available to this command",
                                          key, command, name));
        out += shell_quote(it->second);
        i = close;
    }
    return out;
}

std::uint64_t hash_matrix(const Matrix& x) {
    return external_hash(x.data(), sizeof(double) * static_cast<std::size_t>(x.size()));
}

std::uint64_t hash_rng(const Rng& rng) {
    const Rng::State s = rng.state();
    return external_hash(s.data(), sizeof(s));
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The last `lines` lines of a file (at most 4000 bytes), indented for an error message.
std::string tail_of(const std::string& path, int lines = 15) {
    std::string text = read_text(path);
    if (text.size() > 4000) text = text.substr(text.size() - 4000);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    std::size_t at = text.size();
    for (int i = 0; i < lines && at != std::string::npos && at > 0; ++i)
        at = text.rfind('\n', at - 1);
    if (at != std::string::npos && at < text.size()) text = text.substr(at + 1);
    if (text.empty()) return "  (stderr was empty)";
    std::string out;
    std::istringstream in(text);
    // The command's bytes escaped: binary output or escape sequences must not reach the
    // terminal as they are.
    for (std::string line; std::getline(in, line);) out += "  | " + printable(line) + "\n";
    if (!out.empty()) out.pop_back();
    return out;
}

}  // namespace

std::uint64_t external_hash(const void* data, std::size_t bytes, std::uint64_t h) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

void check_external_commands(const ExternalOptions& options, bool text) {
    std::map<std::string, std::string> all;
    for (const auto& p : kPlaceholders)
        all.emplace(p, "x");  // emplace: GCC 12 warns (-Wrestrict) on operator[] = "x"
    if (options.fit.empty())
        throw ConfigError(
            "model.fit is required with model.family = \"external\": the command that trains "
            "the model, e.g. \"python3 train.py --data {train} --out {model_dir}\"");
    if (options.sample.empty())
        throw ConfigError(
            "model.sample is required with model.family = \"external\": the command that writes "
            "{n} samples to {samples}, e.g. \"python3 sample.py --model {model_dir} --n {n} "
            "--out {samples}\"");
    all.erase("text");
    all.erase("scores");
    if (text) all.erase("dim");
    std::map<std::string, std::string> fit_values = all;
    fit_values.erase("samples");
    fit_values.erase("n");
    fit_values.erase("bias");
    substitute(options.fit, fit_values, "model.fit");
    all.erase("train");
    substitute(options.sample, all, "model.sample");
    if (options.sample.find("{samples}") == std::string::npos)
        throw ConfigError(
            fmt::format("model.sample = \"{}\" never names {{samples}}, the file it must write",
                        options.sample));
    if (options.score.empty()) return;
    if (!text)
        throw ConfigError(
            "model.score applies to text studies (source.kind = \"text\"): vector studies "
            "score the samples with the metrics of metrics.list");
    std::map<std::string, std::string> score_values = fit_values;
    score_values.erase("train");
    score_values.erase("seed");
    score_values.emplace("text", "x");
    score_values.emplace("scores", "x");
    substitute(options.score, score_values, "model.score");
    if (options.score.find("{scores}") == std::string::npos)
        throw ConfigError(fmt::format(
            "model.score = \"{}\" never names {{scores}}, the file it must write", options.score));
}

ExternalSteps::ExternalSteps(ExternalOptions options, bool text)
    : options_(std::move(options)), text_(text) {
    check_external_commands(options_, text_);
    if (options_.timeout_s < 0 || options_.retries < 0)
        throw ConfigError("model.timeout_s and model.retries must be >= 0");
}

std::map<std::string, std::string> ExternalSteps::placeholder_values(std::uint64_t seed) const {
    return {{"model_dir", dir_ + "/model"},
            {"seed", std::to_string(seed)},
            {"chain_seed", std::to_string(place_.seed)},
            {"generation", std::to_string(place_.generation)},
            {"setting", place_.setting}};
}

std::string ExternalSteps::describe_step(const char* key, const std::string& command) const {
    return fmt::format("{} command {} (setting '{}', seed {}, generation {})", key, command,
                       place_.setting, place_.seed, place_.generation);
}

void ExternalSteps::run_step(const std::string& command, const std::string& where,
                             const std::string& name) const {
    const std::string log = dir_ + "/" + name;
    const std::string pid_file = log + ".pid";
    refuse_a_live_step(where, name);
    ShellResult result;
    for (int attempt = 0; attempt <= options_.retries; ++attempt) {
        result = run_shell(command, log + ".stdout", log + ".stderr", options_.timeout_s, pid_file);
        if (result.ok) return;
    }
    if (result.timed_out)
        result.why = fmt::format(
            "did not finish within model.timeout_s = {} s and was killed (with its process group)",
            options_.timeout_s);
    throw Error(fmt::format("{} {}; the last lines of its stderr ({}.stderr):\n{}", where,
                            options_.retries > 0 ? fmt::format("failed {} times: it {}",
                                                               options_.retries + 1, result.why)
                                                 : result.why,
                            log, tail_of(log + ".stderr")));
}

void ExternalSteps::refuse_a_live_step(const std::string& where, const std::string& name) const {
    // A madlab killed with SIGKILL leaves its commands running; a resume must not start the
    // same step beside them, in the same folder.
    const std::string pid_file = dir_ + "/" + name + ".pid";
    if (const auto live = live_command_in(pid_file))
        throw Error(fmt::format(
            "{}: this step is still running from an earlier madlab run (process group {} on "
            "host {}, recorded in {}); wait for it to end or stop it (`kill -TERM -- -{}` on "
            "that host), then resume",
            where, live->group, live->host, pid_file, live->group));
}

std::string ExternalSteps::dir_for_fit(std::uint64_t data_hash, const Rng& rng) const {
    if (place_.work_dir.empty())
        throw ConfigError(
            "the external family needs a folder for its files: set model.work_dir, or run the "
            "study with an output folder (madlab run --out DIR)");
    // In a loop the chain names the generation's folder; outside one the data and the stream do.
    if (place_.generation >= 0) return fs::absolute(place_.work_dir).string();
    return fs::absolute(fs::path(place_.work_dir) /
                        fmt::format("fit-{:016x}", data_hash ^ hash_rng(rng)))
        .string();
}

FitInfo ExternalSteps::fit(const ExternalPlace& place, Rng& rng, const std::string& train_file,
                           const std::string& data_key,
                           const std::function<void(const std::string&)>& write_train,
                           std::map<std::string, std::string> values) {
    place_ = place;
    const std::span<const int> origin = place.origin;
    place_.origin = {};  // the caller's rows; not kept beyond this fit
    dir_ = dir_for_fit(external_hash(data_key.data(), data_key.size()), rng);
    const std::uint64_t seed = rng.next_u64() >> 33;
    const std::string model_dir = dir_ + "/model";
    const std::string train_path = dir_ + "/" + train_file;
    values.merge(placeholder_values(seed));
    values["train"] = train_path;
    const std::string command = substitute(options_.fit, values, "model.fit");
    const std::string done = dir_ + "/fit.done";
    const std::string key = command + "\n" + data_key + "\n";
    FitInfo info;
    if (read_text(done) == key && fs::is_directory(model_dir)) {
        info.note = "reused the finished fit in " + dir_;
        return info;
    }
    refuse_a_live_step(describe_step("model.fit", command), "fit");
    std::error_code ec;
    // A new fit: every finished step of an earlier fit in this folder (fit, samples, score)
    // belongs to another model, so none of its .done markers may be reused.
    for (const auto& entry : fs::directory_iterator(dir_, ec))
        if (entry.path().extension() == ".done") fs::remove(entry.path(), ec);
    ec.clear();
    fs::remove_all(model_dir, ec);
    fs::create_directories(model_dir, ec);
    if (ec) throw Error(fmt::format("cannot create '{}': {}", model_dir, ec.message()));
    write_train(train_path);
    if (!origin.empty()) {
        Matrix column(static_cast<Eigen::Index>(origin.size()), 1);
        for (std::size_t i = 0; i < origin.size(); ++i)
            column(static_cast<Eigen::Index>(i), 0) = origin[i];
        write_npy(dir_ + "/train_origin.npy", column);
    }
    run_step(command, describe_step("model.fit", command), "fit");
    if (!fs::is_directory(model_dir))
        throw Error(
            fmt::format("model.fit command {} removed its model folder {}", command, model_dir));
    write_file_atomically(done, key);
    info.note = "fitted in " + dir_;
    return info;
}

void ExternalSteps::retire() const {
    // Only folders of a loop's generations: a fit outside a loop keeps its files.
    if (!options_.prune || place_.generation < 0 || dir_.empty()) return;
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

ExternalSteps::Output ExternalSteps::sample(std::size_t n, double bias, Rng& rng,
                                            std::string_view purpose, const std::string& extension,
                                            const std::string& what,
                                            std::map<std::string, std::string> values) const {
    // The file is named after what the loop draws the samples for (eval, synthetic-<t>-<j>);
    // outside a loop after the stream and n.
    const std::string name =
        purpose.empty() ? fmt::format("samples-{:016x}", hash_rng(rng) ^ n) : std::string(purpose);
    values["seed"] = std::to_string(rng.next_u64() >> 33);
    values["samples"] = dir_ + "/" + name + extension;
    values["n"] = std::to_string(n);
    values["bias"] = fmt::format("{}", bias);
    return run("model.sample", options_.sample, name, "samples", what, std::move(values));
}

ExternalSteps::Output ExternalSteps::run(const char* key, const std::string& command_template,
                                         const std::string& name, const std::string& output,
                                         const std::string& what,
                                         std::map<std::string, std::string> values) const {
    // The fit's placeholders, except where `values` has its own (the sample's {seed}).
    values.merge(placeholder_values(0));
    Output out;
    out.path = values.at(output);
    out.command = substitute(command_template, values, key);
    out.done = dir_ + "/" + name + ".done";
    out.where = describe_step(key, out.command);
    out.reused = read_text(out.done) == out.command + "\n" && fs::exists(out.path);
    if (!out.reused) {
        refuse_a_live_step(out.where, name);
        std::error_code ec;
        fs::remove(out.done, ec);
        fs::remove(out.path, ec);
        run_step(out.command, out.where, name);
        if (!fs::exists(out.path))
            throw Error(fmt::format("{} exited with code 0 but did not write {}; it must write {}",
                                    out.where, out.path, what));
    }
    return out;
}

void ExternalSteps::commit(const Output& output) const {
    if (!output.reused) write_file_atomically(output.done, output.command + "\n");
}

ExternalModel::ExternalModel(ExternalOptions options) : steps_(std::move(options), false) {}

std::unique_ptr<ContinuousModel> ExternalModel::clone() const {
    return std::make_unique<ExternalModel>(*this);
}

FitInfo ExternalModel::do_fit(const Matrix& train, FitContext<Matrix>& context) {
    dim_ = static_cast<std::size_t>(train.cols());
    const std::string data_key =
        fmt::format("{} x {} {:016x}", train.rows(), train.cols(), hash_matrix(train));
    return steps_.fit(external_place(context), context.rng, "train.npy", data_key,
                      [&](const std::string& path) { write_npy(path, train); },
                      {{"dim", std::to_string(dim_)}});
}

Matrix ExternalModel::do_sample(std::size_t n, double bias, Rng& rng,
                                std::string_view purpose) const {
    if (n == 0) return Matrix(0, static_cast<Eigen::Index>(dim_));
    const auto out =
        steps_.sample(n, bias, rng, purpose, ".npy",
                      fmt::format("{} samples there as a .npy array of shape ({}, {})", n, n, dim_),
                      {{"dim", std::to_string(dim_)}});
    Matrix x;
    try {
        x = read_npy(out.path);
    } catch (const DataError& e) {
        throw Error(fmt::format("{} wrote samples madlab cannot use: {}", out.where, e.what()));
    }
    if (static_cast<std::size_t>(x.rows()) != n || static_cast<std::size_t>(x.cols()) != dim_)
        throw Error(
            fmt::format("{} wrote {} as an array of {} x {}; madlab asked for {} samples "
                        "of dimension {}: shape ({}, {})",
                        out.where, out.path, x.rows(), x.cols(), n, dim_, n, dim_));
    steps_.commit(out);
    return x;
}

}  // namespace madlab
