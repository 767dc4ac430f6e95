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
        "List the config keys of every model family (model.<key> in a study file) and every\n"
        "metric of metrics.list (metrics.<key>): type and range, default, the kinds of data\n"
        "they apply to, and what they do. The families and metrics declare them where they\n"
        "are written, so this list is always the code's own. --markdown writes the blocks of\n"
        "docs/config.md that document them.");
    cmd->add_flag("--markdown", args->markdown, "The docs/config.md blocks (Markdown tables)");
    return [args] {
        if (args->markdown)
            fmt::print("{}\n{}", model_key_reference_markdown(), metric_reference_markdown());
        else
            fmt::print("{}", key_reference_text());
        return 0;
    };
}

}  // namespace madlab::cli
