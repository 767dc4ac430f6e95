#pragma once
// The subcommands of the madlab CLI. Each registers its options on the parser and returns the
// function to run when it is chosen; no algorithm code lives in apps/.

#include <CLI/CLI.hpp>
#include <functional>

namespace madlab::cli {

using Action = std::function<int()>;

// `madlab run [STUDY.toml] [--out DIR] [--threads N] [--quiet]`
Action add_run_command(CLI::App& app);

}  // namespace madlab::cli
