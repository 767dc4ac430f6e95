#include "madlab/report/sweep_heatmap.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "madlab/report/metric_catalog.h"

namespace madlab {

namespace {

using nlohmann::json;

// "fresh n_real_fresh=100 bias=0.9" as {"fresh", {{"n_real_fresh", "100"}, {"bias", "0.9"}}}:
// the trailing words that are key=value, the words before them the named setting.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> split_name(
    const std::string& name) {
    std::vector<std::string> words;
    std::istringstream in(name);
    for (std::string w; in >> w;) words.push_back(w);
    std::vector<std::pair<std::string, std::string>> values;
    std::size_t first_value = words.size();
    while (first_value > 0) {
        const std::string& w = words[first_value - 1];
        const std::size_t eq = w.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == w.size()) break;
        --first_value;
    }
    std::string named;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i < first_value) {
            named += (named.empty() ? "" : " ") + words[i];
        } else {
            const std::size_t eq = words[i].find('=');
            values.emplace_back(words[i].substr(0, eq), words[i].substr(eq + 1));
        }
    }
    return {named, values};
}

void add_unique(std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

}  // namespace

std::optional<SweepGrid> sweep_grid(const std::vector<std::string>& settings) {
    SweepGrid grid;
    for (const auto& s : settings) {
        const auto [named, values] = split_name(s);
        if (values.size() != 2) return std::nullopt;
        if (grid.cells.empty()) {
            grid.x_key = values[0].first;
            grid.y_key = values[1].first;
        } else if (values[0].first != grid.x_key || values[1].first != grid.y_key) {
            return std::nullopt;
        }
        add_unique(grid.x_values, values[0].second);
        add_unique(grid.y_values, values[1].second);
        add_unique(grid.named, named);
        grid.cells.push_back({s, named, values[0].second, values[1].second});
    }
    if (grid.x_values.size() < 2 || grid.y_values.size() < 2) return std::nullopt;
    return grid;
}

json sweep_heatmap_spec(const StudyFolder& folder, const SweepGrid& grid,
                        const std::vector<std::string>& metrics) {
    // Each setting's last generation.
    std::map<std::string, int> last;
    for (const auto& r : folder.summary)
        if (!last.count(r.setting) || r.generation > last[r.setting])
            last[r.setting] = r.generation;
    const bool several_named = grid.named.size() > 1;
    json rows = json::array();
    std::vector<std::string> panels;
    for (const auto& m : metrics)
        for (const auto& n : grid.named)
            panels.push_back(several_named ? metric_label(m) + " \u00b7 " + n : metric_label(m));
    for (const auto& r : folder.summary) {
        if (std::find(metrics.begin(), metrics.end(), r.metric) == metrics.end()) continue;
        const auto cell = std::find_if(grid.cells.begin(), grid.cells.end(),
                                       [&](const auto& c) { return c.setting == r.setting; });
        if (cell == grid.cells.end() || r.generation != last[r.setting]) continue;
        rows.push_back({{"setting", r.setting},
                        {"metric", r.metric},
                        {"panel", several_named ? metric_label(r.metric) + " \u00b7 " + cell->named
                                                : metric_label(r.metric)},
                        {"x", cell->x},
                        {"y", cell->y},
                        {"generation", r.generation},
                        {"mean", r.mean},
                        {"ci95_low", clip_to_domain(r.metric, r.ci95_low)},
                        {"ci95_high", clip_to_domain(r.metric, r.ci95_high)},
                        {"count", r.count}});
    }
    const auto quantitative = [](const char* name, const char* title) {
        return json{
            {"field", name}, {"type", "quantitative"}, {"title", title}, {"format", ".4~g"}};
    };
    const json tooltip = json::array(
        {{{"field", "setting"}, {"type", "nominal"}},
         {{"field", "generation"}, {"type", "quantitative"}, {"title", "last generation"}},
         quantitative("mean", "mean over seeds"),
         quantitative("ci95_low", "95% low"),
         quantitative("ci95_high", "95% high"),
         {{"field", "count"}, {"type", "quantitative"}, {"title", "seeds"}}});
    const json inner = {
        {"width", 60.0 * static_cast<double>(grid.x_values.size())},
        {"height", 40.0 * static_cast<double>(grid.y_values.size())},
        {"mark", {{"type", "rect"}, {"stroke", "#fff"}, {"strokeWidth", 1}}},
        {"encoding",
         {{"x",
           {{"field", "x"},
            {"type", "ordinal"},
            {"sort", grid.x_values},
            {"title", grid.x_key},
            {"axis", {{"labelAngle", 0}}}}},
          {"y",
           {{"field", "y"}, {"type", "ordinal"}, {"sort", grid.y_values}, {"title", grid.y_key}}},
          {"color",
           {{"field", "mean"},
            {"type", "quantitative"},
            {"title", "last gen."},
            {"scale", {{"scheme", "viridis"}}},
            {"legend", {{"format", ".3~g"}}}}},
          {"tooltip", tooltip}}}};
    return {
        {"datasets", {{"sweep", rows}}},
        {"data", {{"name", "sweep"}}},
        {"facet",
         {{"field", "panel"},
          {"type", "nominal"},
          {"sort", panels},
          {"title", nullptr},
          {"header", {{"labelFontSize", 13}, {"labelFontWeight", "bold"}, {"labelLimit", 400}}}}},
        {"columns", 2},
        {"spec", inner},
        {"resolve",
         {{"scale", {{"color", "independent"}}}, {"legend", {{"color", "independent"}}}}}};
}

}  // namespace madlab
