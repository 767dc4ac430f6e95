#include <memory>
#include <string>
#include <vector>

#include "command_line.h"
#include "commands.h"
#include "madlab/session/merge_shards.h"

namespace madlab::cli {

namespace {

struct MergeArguments {
    std::string out_dir;
    std::vector<std::string> shard_dirs;
    std::string db_path;
    bool quiet = false;
    bool no_report = false;
    bool keep_checkpoints = false;
};

}  // namespace

Action add_merge_command(CLI::App& app) {
    auto args = std::make_shared<MergeArguments>();
    CLI::App* merge = app.add_subcommand(
        "merge",
        "Combine the output folders of `madlab run STUDY.toml --shard K/N` (K = 0 .. N-1) into\n"
        "OUT, the run of the whole study: its database, records.csv (byte for byte those of\n"
        "one `madlab run`), summary, samples and page. Refuses shards of different configs or\n"
        "madlab versions, and names the chains that are missing or unfinished.");
    merge->add_option("out", args->out_dir, "Output folder of the merged run (must hold no run)")
        ->required();
    merge->add_option("shards", args->shard_dirs, "Output folders of the shards")
        ->required()
        ->check(CLI::ExistingDirectory);
    merge->add_option("--db", args->db_path,
                      "Results database to add the merged study to (default: OUT/results.sqlite)");
    merge->add_flag("--quiet,-q", args->quiet, "No summary table");
    merge->add_flag("--no-report", args->no_report, "Do not write OUT/report.html");
    merge->add_flag("--keep-checkpoints", args->keep_checkpoints,
                    "Copy each chain's last checkpoint from its shard (kept there by `run "
                    "--keep-checkpoints`) and keep it, so that `madlab run --resume OUT` after "
                    "adding generations continues the chains instead of recomputing them");

    return [args]() -> int {
        if (!args->db_path.empty()) check_output_file("--db", args->db_path);
        SessionOptions options;
        options.out_dir = args->out_dir;
        options.db_path = args->db_path;
        options.quiet = args->quiet;
        options.no_report = args->no_report;
        options.keep_checkpoints = args->keep_checkpoints;
        merge_shards(args->shard_dirs, options);
        return 0;
    };
}

}  // namespace madlab::cli
