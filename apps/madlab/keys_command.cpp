#include <fmt/core.h>

#include <memory>

#include "commands.h"
#include "madlab/study/key_reference.h"

namespace madlab::cli {

namespace {

struct KeysArguments {
    bool markdown = false;
};

}  // namespace

// `madlab keys [--markdown]`
Action add_keys_command(CLI::App& app) {
    auto args = std::make_shared<KeysArguments>();
    CLI::App* cmd = app.add_subcommand(
        "keys",
        "List the config keys of every model family (model.<key> in a study file): type and\n"
        "range, default, the kinds of data they apply to, and what they do. The families\n"
        "declare them where they are written, so this list is always the code's own.\n"
        "--markdown writes the block of docs/config.md that documents them.");
    cmd->add_flag("--markdown", args->markdown, "The docs/config.md block (Markdown tables)");
    return [args] {
        fmt::print("{}",
                   args->markdown ? model_key_reference_markdown() : model_key_reference_text());
        return 0;
    };
}

}  // namespace madlab::cli
