#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "command_line.h"
#include "commands.h"
#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"
#include "madlab/report/compare_report.h"
#include "madlab/report/figures.h"
#include "madlab/report/html_report.h"
#include "madlab/report/image_grid.h"
#include "madlab/store/run_folder.h"

namespace madlab::cli {

namespace {

struct ReportArguments {
    std::vector<std::string> dirs;
    std::string out;
    std::string figures;
    double scale = 2.0;
    bool svg_only = false;
};

}  // namespace

// Several folders: one page comparing them, DIR_A/compare.html unless --out.
int compare_studies(const ReportArguments& args) {
    if (!args.figures.empty()) throw ConfigError("--figures takes one study folder, not several");
    std::vector<StudyFolder> studies;
    for (const auto& dir : args.dirs) studies.push_back(RunFolder(dir).read());
    const std::string path =
        args.out.empty() ? (std::filesystem::path(args.dirs.front()) / "compare.html").string()
                         : args.out;
    write_file_atomically(path, render_comparison(studies));
    fmt::print("report: {} ({} studies)\n", path, studies.size());
    return 0;
}

// `madlab report DIR [DIR...] [--out FILE] [--figures FIGDIR]`
Action add_report_command(CLI::App& app) {
    auto args = std::make_shared<ReportArguments>();
    CLI::App* cmd = app.add_subcommand(
        "report",
        "Write DIR/report.html for the output folder of `madlab run`, `threshold` or\n"
        "`decompose`: one self-contained page (charts inlined, no network needed) with the\n"
        "study's question, verdicts per setting, final values, every metric against generation\n"
        "with its 95% band, the quality-diversity plane, samples, and the analyses' charts.\n"
        "With --figures, also every chart as SVG and PNG for papers (needs node and chromium),\n"
        "and image samples as one PNG grid per setting (and a labelled SVG).\n"
        "With several folders (DIR_A DIR_B ...): one page comparing the studies on the metrics\n"
        "they share (DIR_A/compare.html unless --out).\n"
        "See docs/report.md.");
    cmd->add_option("dir", args->dirs,
                    "Output folder of a madlab run or analysis; several: compare them")
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
        if (args->dirs.size() > 1) return compare_studies(*args);
        const RunFolder run_folder(args->dirs.front());
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
