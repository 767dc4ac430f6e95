#include <fmt/core.h>

#include <memory>

#include "command_line.h"
#include "commands.h"
#include "madlab/report/figures.h"
#include "madlab/report/html_report.h"
#include "madlab/report/image_grid.h"
#include "madlab/store/run_folder.h"

namespace madlab::cli {

namespace {

struct ReportArguments {
    std::string dir;
    std::string out;
    std::string figures;
    double scale = 2.0;
    bool svg_only = false;
};

}  // namespace

// `madlab report DIR [--out FILE] [--figures FIGDIR]`
Action add_report_command(CLI::App& app) {
    auto args = std::make_shared<ReportArguments>();
    CLI::App* cmd = app.add_subcommand(
        "report",
        "Write DIR/report.html for the output folder of `madlab run`, `threshold` or\n"
        "`decompose`: one self-contained page (charts inlined, no network needed) with the\n"
        "study's question, verdicts per setting, final values, every metric against generation\n"
        "with its 95% band, the quality-diversity plane, samples, and the analyses' charts.\n"
        "With --figures, also every chart as SVG and PNG for papers (needs node and chromium),\n"
        "and image samples as one PNG grid per setting.\n"
        "See docs/report.md.");
    cmd->add_option("dir", args->dir, "Output folder of a madlab run or analysis")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--out,-o", args->out, "Page to write (default: DIR/report.html)");
    cmd->add_option("--figures", args->figures,
                    "Also write every chart as FIGDIR/<chart>.svg and .png (Vega's renderer via "
                    "node and headless chromium)");
    cmd->add_option("--scale", args->scale, "PNG pixels per chart pixel (default 2)")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--svg-only", args->svg_only, "With --figures: SVG only, no chromium needed");

    return [args]() -> int {
        if (!args->out.empty()) check_output_file("--out", args->out);
        const RunFolder run_folder(args->dir);
        run_folder.remove_stale_temporaries();  // of writers killed in this folder
        const StudyFolder folder = run_folder.read();
        const std::string path = args->out.empty() ? run_folder.report_path() : args->out;
        write_report(folder, path);
        fmt::print("report: {}\n", path);
        if (!args->figures.empty()) {
            // Image samples first: plain C++, no node or browser needed.
            const auto grids = write_image_grids(folder, args->figures);
            if (!grids.empty())
                fmt::print("figures: {} image grids in {} (PNG)\n", grids.size(), args->figures);
            FigureOptions options;
            options.png_scale = args->scale;
            options.png = !args->svg_only;
            const auto ids = write_figures(folder, args->figures, {}, options);
            fmt::print("figures: {} charts in {} ({})\n", ids.size(), args->figures,
                       args->svg_only ? "SVG" : "SVG and PNG");
        }
        return 0;
    };
}

}  // namespace madlab::cli
