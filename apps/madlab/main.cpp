// madlab: a laboratory for Model Autophagy Disorder (model collapse).
// Exit codes: 0 success, 2 bad command line / config / input file, 1 any other failure.
// Under an MPI launcher (mpirun, srun) only `run` uses every rank (docs/cluster.md); any other
// command runs on rank 0 alone and the other ranks exit 0 at once.

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "command_line.h"
#include "commands.h"
#include "madlab/cluster/mpi_context.h"
#include "madlab/cluster/mpi_executor.h"
#include "madlab/core/error.h"
#include "madlab/core/printable.h"

int main(int argc, char** argv) {
    // MPI starts only when a launcher started madlab, and finalizes when main returns.
    madlab::MpiContext mpi(argc, argv);
    if (!mpi.error().empty()) {
        fmt::print(stderr, "madlab: error: {}\n", mpi.error());
        return 1;
    }
    const bool worker_rank = madlab::mpi_world().rank > 0;
    CLI::App app{
        "madlab: runs self-consuming training loops (model collapse, 'Model Autophagy Disorder')\n"
        "and measures how each generation's quality and diversity move.\n"
        "Run `madlab run` for the default study, `madlab run STUDY.toml` for your own\n"
        "(`--shard K/N` and `madlab merge` split one across machines);\n"
        "`madlab show DB` and `madlab export DB` read a results database;\n"
        "`madlab report DIR` writes a study's page (DIR/report.html);\n"
        "`madlab metrics REAL FAKE` scores two point sets, `madlab lm CORPUS` an n-gram model;\n"
        "`madlab keys` lists the config keys of every model family."};
    app.set_version_flag("--version", std::string("madlab ") + MADLAB_VERSION);
    app.require_subcommand(1);
    auto run = madlab::cli::add_run_command(app);
    auto merge = madlab::cli::add_merge_command(app);
    auto show = madlab::cli::add_show_command(app);
    auto export_records = madlab::cli::add_export_command(app);
    auto threshold = madlab::cli::add_threshold_command(app);
    auto decompose = madlab::cli::add_decompose_command(app);
    auto report = madlab::cli::add_report_command(app);
    auto metrics = madlab::cli::add_metrics_command(app);
    auto lm = madlab::cli::add_lm_command(app);
    auto keys = madlab::cli::add_keys_command(app);

    if (const auto unknown = madlab::cli::unknown_subcommand(app, argc, argv)) {
        if (!worker_rank) fmt::print(stderr, "madlab: error: {}\n", *unknown);
        return 2;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (worker_rank) return e.get_exit_code() == 0 ? 0 : 2;  // rank 0 says it
        if (e.get_exit_code() == 0) return app.exit(e);          // --help, --version
        fmt::print(stderr, "madlab: error: {}\nRun with --help for more information.\n",
                   madlab::cli::explain_parse_error(app, e, argc, argv));
        return 2;
    }
    if (worker_rank && !app.got_subcommand("run")) return 0;
    const int code = [&]() -> int {
        try {
            if (app.got_subcommand("run")) return run();
            if (app.got_subcommand("merge")) return merge();
            if (app.got_subcommand("show")) return show();
            if (app.got_subcommand("export")) return export_records();
            if (app.got_subcommand("threshold")) return threshold();
            if (app.got_subcommand("decompose")) return decompose();
            if (app.got_subcommand("report")) return report();
            if (app.got_subcommand("metrics")) return metrics();
            if (app.got_subcommand("lm")) return lm();
            if (app.got_subcommand("keys")) return keys();
            return 2;
        } catch (const madlab::RankExit& e) {
            return e.code();  // rank 0 said why, or a worker ends with rank 0's code
        } catch (const madlab::ConfigError& e) {
            fmt::print(stderr, "madlab: config error: {}\n", madlab::printable(e.what(), true));
            return 2;
        } catch (const madlab::DataError& e) {
            fmt::print(stderr, "madlab: data error: {}\n", madlab::printable(e.what(), true));
            return 2;
        } catch (const std::exception& e) {
            fmt::print(stderr, "madlab: error: {}\n", madlab::printable(e.what(), true));
            return 1;
        }
    }();
    // `run` on rank 0 failed before it told the other ranks what to run (e.g. reading
    // STUDY.toml): they are waiting, and end with the same exit code.
    if (app.got_subcommand("run")) madlab::abort_mpi_run(code);
    return code;
}
