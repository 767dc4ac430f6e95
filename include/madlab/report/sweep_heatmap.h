#pragma once
// A sweep over two axes drawn as heatmaps: the final generation's mean of each headline metric
// over the grid of the two swept values, one heatmap per metric (and per named setting), in
// place of one line per setting in a dozen colours.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "madlab/store/folder_contents.h"

namespace madlab {

// Two swept axes, read from the settings' names: a sweep names a setting by the named
// setting's name (if any) followed by "key=value" per axis, the key's last component
// (docs/studies.md: "fresh n_real_fresh=100 bias=0.9").
struct SweepGrid {
    std::string x_key;                  // the first axis ("n_real_fresh")
    std::string y_key;                  // the second ("bias")
    std::vector<std::string> x_values;  // in the order of the settings (the sweep's order)
    std::vector<std::string> y_values;
    std::vector<std::string> named;  // the named settings' names ("" without named settings)
    // Per setting, in the order given: its named setting and values.
    struct Cell {
        std::string setting;
        std::string named;
        std::string x;
        std::string y;
    };
    std::vector<Cell> cells;
};

// The grid when every one of `settings` is named by the same two swept keys (in the same
// order) and each axis has at least two values; nullopt otherwise (no sweep, one axis, three
// or more, or a value with a space in it).
std::optional<SweepGrid> sweep_grid(const std::vector<std::string>& settings);

// The Vega-Lite spec: per setting and metric of `metrics`, the mean over seeds at that
// setting's last generation as a cell's colour (x: the first axis, y: the second), one panel
// per metric (and named setting), each with its own colour scale; the tooltip has the interval
// and the seeds. Data in datasets.sweep.
nlohmann::json sweep_heatmap_spec(const StudyFolder& folder, const SweepGrid& grid,
                                  const std::vector<std::string>& metrics);

}  // namespace madlab
