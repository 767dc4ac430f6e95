#pragma once
// Figures for papers: every chart of the report as SVG and PNG, drawn by Vega's own renderer.
// madlab writes the Vega-Lite specs (figure_views) to a temporary file (removed after) and runs
// `node report/figures.mjs`, which compiles them with vega-lite, writes SVG with vega's
// view.toSVG() in node, and PNG with view.toImageURL('png') inside Debian's headless chromium
// (driven by playwright-core; node's canvas package would need a native download).

#include <string>
#include <vector>

#include "madlab/report/charts.h"
#include "madlab/report/study_folder.h"

namespace madlab {

struct FigureOptions {
    double png_scale = 2.0;  // PNG pixels per CSS pixel
    bool png = true;         // false: SVG only, no browser needed
    // Points per (setting, generation, kind) in the sample grid at most: fewer than the page's
    // ReportOptions::max_points (600), enough for print.
    std::size_t max_sample_points = 200;
};

// The folder holding figures.mjs and its node_modules: $MADLAB_REPORT_DIR, or the source tree's
// report/ that madlab was built from.
std::string report_scripts_dir();

// Writes FIGDIR/<file>.svg and FIGDIR/<file>.png for every chart of figure_views(folder), <file>
// its id as a safe file name (core/safe_file_name.h: the id itself unless it carries a name
// from the folder's data that is not one), and returns those file names. Throws Error saying what
// to install when node, the npm packages or chromium are missing, or when the script fails.
std::vector<std::string> write_figures(const StudyFolder& folder, const std::string& fig_dir,
                                       const ReportOptions& options = {},
                                       const FigureOptions& figure_options = {});

}  // namespace madlab
