#include "madlab/report/charts.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "madlab/core/statistics.h"
#include "madlab/report/metric_catalog.h"
#include "madlab/report/sweep_heatmap.h"
#include "madlab/store/record_files.h"

namespace madlab {

namespace {

using nlohmann::json;

const char* const kRealLabel = "real test data";
const char* const kNumberFormat = ".5~g";

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// `v` with four significant digits: sample coordinates need no more on a chart, and they
// make most of a report's size.
double round4(double v) {
    if (v == 0.0 || !std::isfinite(v)) return v;
    const double scale = std::pow(10.0, 4 - static_cast<int>(std::ceil(std::log10(std::abs(v)))));
    return std::round(v * scale) / scale;
}

json color_scale(const std::vector<std::string>& domain, const std::vector<std::string>& range) {
    return {{"domain", domain}, {"range", range}};
}

json setting_color(const StudyFolder& folder, const std::vector<std::string>& settings) {
    // Colours follow the folder's setting order, so that a setting keeps its colour in every
    // chart whichever settings a chart draws.
    // A setting the summary does not know (samples of a renamed setting) comes after them.
    const auto all = setting_colors(folder.settings.size() + settings.size());
    std::vector<std::string> range;
    std::size_t unknown = folder.settings.size();
    for (const auto& s : settings) {
        const auto at = std::find(folder.settings.begin(), folder.settings.end(), s);
        range.push_back(
            all[at != folder.settings.end() ? static_cast<std::size_t>(at - folder.settings.begin())
                                            : unknown++]);
    }
    return {
        {"field", "setting"},
        {"type", "nominal"},
        {"scale", color_scale(settings, range)},
        {"legend", {{"orient", "top"}, {"title", nullptr}, {"columns", 4}, {"symbolOpacity", 1}}}};
}

json field(const std::string& name, const std::string& type, const std::string& title = "") {
    json f = {{"field", name}, {"type", type}};
    if (!title.empty()) f["title"] = title;
    if (type == "quantitative") f["format"] = kNumberFormat;
    return f;
}

json summary_tooltip() {
    return json::array(
        {field("setting", "nominal"), field("metric", "nominal"),
         field("generation", "quantitative"), field("mean", "quantitative", "mean over seeds"),
         field("ci95_low", "quantitative", "95% low"),
         field("ci95_high", "quantitative", "95% high"), field("median", "quantitative"),
         field("std", "quantitative"), field("count", "quantitative", "seeds"),
         field("collapsed_fraction", "quantitative", "collapsed chains")});
}

// The summary rows of `settings`, each 95% interval clipped to its metric's domain
// (metric_catalog.h): with few seeds mean +- t * standard error reaches past it (recall below
// 0 with 2 seeds).
json summary_dataset(const StudyFolder& folder, const std::vector<std::string>& settings) {
    std::vector<SummaryRow> rows;
    for (const auto& r : folder.summary)
        if (contains(settings, r.setting)) {
            rows.push_back(r);
            rows.back().ci95_low = clip_to_domain(r.metric, r.ci95_low);
            rows.back().ci95_high = clip_to_domain(r.metric, r.ci95_high);
        }
    json out = summary_to_json(rows);
    for (auto& row : out) row["label"] = metric_label(row["metric"].get<std::string>());
    return out;
}

// One setting's trajectory over generations: the 95% band under the line of means. `highlight`
// adds a selection bound to the legend (click a setting to bring it forward).
json trajectory_layers(const StudyFolder& folder, const std::vector<std::string>& settings,
                       bool highlight) {
    json band = {{"mark", {{"type", "area"}, {"opacity", 0.18}}},
                 {"encoding",
                  {{"y",
                    {{"field", "ci95_low"},
                     {"type", "quantitative"},
                     {"scale", {{"zero", false}}},
                     {"axis", {{"format", "~g"}}},
                     {"title", "mean over seeds, 95% band"}}},
                   {"y2", {{"field", "ci95_high"}}}}}};
    json line = {
        {"mark", {{"type", "line"}, {"point", true}, {"strokeWidth", 2}}},
        {"encoding",
         {{"y", {{"field", "mean"}, {"type", "quantitative"}}}, {"tooltip", summary_tooltip()}}}};
    if (highlight) {
        line["params"] =
            json::array({{{"name", "pick"},
                          {"select", {{"type", "point"}, {"fields", json::array({"setting"})}}},
                          {"bind", "legend"}}});
        band["encoding"]["opacity"] = {{"condition", {{"param", "pick"}, {"value", 0.18}}},
                                       {"value", 0.03}};
        line["encoding"]["opacity"] = {{"condition", {{"param", "pick"}, {"value", 1}}},
                                       {"value", 0.15}};
    }
    return {{"encoding",
             {{"x",
               {{"field", "generation"},
                {"type", "quantitative"},
                {"axis", {{"tickMinStep", 1}, {"format", "d"}}}}},
              {"color", setting_color(folder, settings)}}},
            {"layer", json::array({band, line})}};
}

// A panel of the headline chart: every setting's trajectory, the legend picking one.
json headline_panel(const StudyFolder& folder, const std::vector<std::string>& settings) {
    json panel = trajectory_layers(folder, settings, true);
    panel["width"] = 400;
    panel["height"] = 210;
    return panel;
}

json headline_spec(const StudyFolder& folder, const std::vector<std::string>& settings,
                   const std::vector<std::string>& headline) {
    std::vector<std::string> labels;
    for (const auto& m : headline) labels.push_back(metric_label(m));
    const json inner = headline_panel(folder, settings);
    return {
        {"datasets", {{"summary", summary_dataset(folder, settings)}}},
        {"data", {{"name", "summary"}}},
        {"transform", json::array({{{"filter", {{"field", "metric"}, {"oneOf", headline}}}}})},
        {"facet",
         {{"field", "label"},
          {"type", "nominal"},
          {"sort", labels},
          {"title", nullptr},
          {"header", {{"labelFontSize", 13}, {"labelFontWeight", "bold"}, {"labelLimit", 400}}}}},
        {"columns", 2},
        {"spec", inner},
        {"resolve", {{"scale", {{"y", "independent"}}}}}};
}

// The headline chart with the metrics of `log_metrics` on a log y axis (with_log_axis, as the
// explorer's): the same panels, data and legend, as one view per metric in place of the facet,
// whose panels would share one scale type.
json headline_log_spec(const StudyFolder& folder, const std::vector<std::string>& settings,
                       const std::vector<std::string>& headline,
                       const std::vector<std::string>& log_metrics) {
    json panels = json::array();
    for (const auto& m : headline) {
        json panel = headline_panel(folder, settings);
        panel["transform"] = json::array({{{"filter", {{"field", "metric"}, {"equal", m}}}}});
        panel["title"] = {{"text", metric_label(m)}, {"fontSize", 13}, {"limit", 400}};
        panels.push_back(contains(log_metrics, m) ? with_log_axis(panel) : panel);
    }
    return {{"datasets", {{"summary", summary_dataset(folder, settings)}}},
            {"data", {{"name", "summary"}}},
            {"concat", panels},
            {"columns", 2},
            {"resolve", {{"scale", {{"y", "independent"}}}}}};
}

json explorer_spec(const StudyFolder& folder, const std::vector<std::string>& settings,
                   const std::vector<std::string>& metrics) {
    const std::string all = "all settings";
    std::vector<std::string> setting_options = {all};
    setting_options.insert(setting_options.end(), settings.begin(), settings.end());
    json spec = trajectory_layers(folder, settings, false);
    spec["datasets"] = {{"summary", summary_dataset(folder, settings)}};
    spec["data"] = {{"name", "summary"}};
    spec["width"] = 640;
    spec["height"] = 300;
    spec["params"] = json::array(
        {{{"name", "metric_choice"},
          {"value", metrics.front()},
          {"bind", {{"input", "select"}, {"options", metrics}, {"name", "metric "}}}},
         {{"name", "setting_choice"},
          {"value", all},
          {"bind", {{"input", "select"}, {"options", setting_options}, {"name", "setting "}}}}});
    spec["transform"] = json::array(
        {{{"filter", fmt::format("datum.metric === metric_choice && (setting_choice === '{}' || "
                                 "datum.setting === setting_choice)",
                                 all)}}});
    spec["title"] = {{"text", {{"expr", "metric_choice"}}}, {"anchor", "start"}};
    return spec;
}

json single_metric_spec(const StudyFolder& folder, const std::vector<std::string>& settings,
                        const std::string& metric) {
    json spec = trajectory_layers(folder, settings, false);
    spec["datasets"] = {{"summary", summary_dataset(folder, settings)}};
    spec["data"] = {{"name", "summary"}};
    spec["width"] = 480;
    spec["height"] = 280;
    spec["transform"] = json::array({{{"filter", {{"field", "metric"}, {"equal", metric}}}}});
    spec["title"] = {{"text", metric_label(metric)}, {"anchor", "start"}};
    return spec;
}

json qd_spec(const StudyFolder& folder, const std::vector<std::string>& settings) {
    json rows = json::array();
    for (const auto& s : settings) {
        std::set<int> generations;
        for (const auto& r : folder.summary)
            if (r.setting == s && r.metric == "precision") generations.insert(r.generation);
        const int last = generations.empty() ? 0 : *generations.rbegin();
        for (int g : generations) {
            const SummaryRow* p = find_summary_row(folder, s, "precision", g);
            const SummaryRow* r = find_summary_row(folder, s, "recall", g);
            if (p == nullptr || r == nullptr) continue;
            // Label the ends of each trajectory.
            const std::string tag = (g == 0 || g == last) ? fmt::format("g{}", g) : "";
            rows.push_back({{"setting", s},
                            {"generation", g},
                            {"precision", p->mean},
                            {"recall", r->mean},
                            {"precision_low", clip_to_domain("precision", p->ci95_low)},
                            {"precision_high", clip_to_domain("precision", p->ci95_high)},
                            {"recall_low", clip_to_domain("recall", r->ci95_low)},
                            {"recall_high", clip_to_domain("recall", r->ci95_high)},
                            {"tag", tag}});
        }
    }
    const json tooltip =
        json::array({field("setting", "nominal"), field("generation", "quantitative"),
                     field("recall", "quantitative"), field("precision", "quantitative"),
                     field("recall_low", "quantitative", "recall 95% low"),
                     field("recall_high", "quantitative", "recall 95% high"),
                     field("precision_low", "quantitative", "precision 95% low"),
                     field("precision_high", "quantitative", "precision 95% high")});
    const json pick = {{"name", "pick_qd"},
                       {"select", {{"type", "point"}, {"fields", json::array({"setting"})}}},
                       {"bind", "legend"}};
    const json faded = {{"condition", {{"param", "pick_qd"}, {"value", 1}}}, {"value", 0.15}};
    return {{"datasets", {{"qd", rows}}},
            {"data", {{"name", "qd"}}},
            {"width", 520},
            {"height", 360},
            {"encoding",
             {{"x",
               {{"field", "recall"},
                {"type", "quantitative"},
                {"scale", {{"zero", false}}},
                {"title", "recall (diversity) →"}}},
              {"y",
               {{"field", "precision"},
                {"type", "quantitative"},
                {"scale", {{"zero", false}}},
                {"title", "precision (quality) →"}}},
              {"color", setting_color(folder, settings)},
              {"order", {{"field", "generation"}, {"type", "quantitative"}}}}},
            {"layer",
             json::array({{{"mark", {{"type", "line"}, {"strokeWidth", 1.5}}},
                           {"encoding", {{"opacity", faded}}}},
                          {{"mark", {{"type", "point"}, {"filled", true}}},
                           {"params", json::array({pick})},
                           {"encoding",
                            {{"size",
                              {{"field", "generation"},
                               {"type", "quantitative"},
                               {"scale", {{"range", json::array({15, 90})}}},
                               {"legend", nullptr}}},
                             {"opacity", faded},
                             {"tooltip", tooltip}}}},
                          {{"mark", {{"type", "text"}, {"dx", 9}, {"dy", -7}, {"fontSize", 10}}},
                           {"encoding", {{"text", {{"field", "tag"}}}, {"opacity", faded}}}}})}};
}

// The samples of the first stored seed of each setting.
std::vector<const SampleEntry*> first_seed_samples(const StudyFolder& folder, bool text) {
    std::map<std::string, std::uint64_t> first_seed;
    for (const auto& e : folder.samples)
        if (!e.image && (text ? !e.lines.empty() : e.columns > 0)) {
            const auto it = first_seed.find(e.setting);
            if (it == first_seed.end() || e.seed < it->second) first_seed[e.setting] = e.seed;
        }
    std::vector<const SampleEntry*> out;
    for (const auto& e : folder.samples) {
        const auto it = first_seed.find(e.setting);
        if (it != first_seed.end() && it->second == e.seed && !e.image &&
            (text ? !e.lines.empty() : e.columns > 0))
            out.push_back(&e);
    }
    return out;
}

// For 1-D samples: the density of each set of points, computed before faceting, on one grid
// and with one bandwidth (Scott's rule on the real points), so that a collapsed model shows as a
// spike rather than vanishing between grid points.
json density_transform(const json& rows, const std::vector<const SampleEntry*>& entries) {
    double low = INFINITY;
    double high = -INFINITY;
    for (const auto& r : rows) {
        low = std::min(low, r["x"].get<double>());
        high = std::max(high, r["x"].get<double>());
    }
    json density = {{"density", "x"},
                    {"groupby", json::array({"setting", "generation", "who"})},
                    {"steps", 400}};
    if (low < high) density["extent"] = json::array({low, high});
    // The real points of the first setting (every setting shares the test set).
    const auto real = std::find_if(entries.begin(), entries.end(),
                                   [](const SampleEntry* e) { return e->kind == "real"; });
    if (real != entries.end() && (*real)->points.size() >= 2) {
        const std::vector<double>& x = (*real)->points;
        const double sd = sample_std(x, sample_mean(x));
        const double bandwidth = 1.06 * sd * std::pow(static_cast<double>(x.size()), -0.2);
        if (bandwidth > 0.0) density["bandwidth"] = bandwidth;
    }
    return density;
}

json sample_grid_spec(const StudyFolder& folder, const std::vector<const SampleEntry*>& entries,
                      std::size_t max_points) {
    std::vector<std::string> settings;
    std::set<int> generations;
    std::size_t columns = 2;
    for (const auto* e : entries)
        if (e->kind != "real") {
            if (!contains(settings, e->setting)) settings.push_back(e->setting);
            generations.insert(e->generation);
            columns = std::min(columns, e->columns);
        }
    // Keep the folder's setting order.
    std::vector<std::string> ordered;
    for (const auto& s : folder.settings)
        if (contains(settings, s)) ordered.push_back(s);
    for (const auto& s : settings)
        if (!contains(ordered, s)) ordered.push_back(s);

    json rows = json::array();
    // A real row says so; the page derives each point's colour ("who") from that and the
    // setting, which keeps a name per point out of the data.
    const auto add = [&](const SampleEntry& e, const std::string& setting, int generation,
                         bool real) {
        const std::size_t n = e.points.size() / e.columns;
        const std::size_t step = std::max<std::size_t>(1, (n + max_points - 1) / max_points);
        for (std::size_t i = 0; i < n; i += step) {
            json row = {{"setting", setting},
                        {"generation", generation},
                        {"x", round4(e.points[i * e.columns])}};
            if (real) row["real"] = true;
            if (columns >= 2) row["y"] = round4(e.points[i * e.columns + 1]);
            rows.push_back(std::move(row));
        }
    };
    // Real points first, so that they are drawn under the samples, repeated in every cell of
    // their setting's row.
    for (const auto& s : ordered)
        for (const auto* e : entries)
            if (e->kind == "real" && e->setting == s)
                for (int g : generations) add(*e, s, g, true);
    for (const auto& s : ordered)
        for (const auto* e : entries)
            if (e->kind != "real" && e->setting == s) add(*e, s, e->generation, false);

    std::vector<std::string> who = {kRealLabel};
    who.insert(who.end(), ordered.begin(), ordered.end());
    json color = setting_color(folder, ordered);
    color["field"] = "who";
    color["scale"]["domain"] = who;
    color["scale"]["range"].insert(color["scale"]["range"].begin(), "#b5b5b5");
    json inner;
    inner["width"] = 170;
    inner["height"] = 170;
    if (columns >= 2) {
        // Real points wide and faint under small sample points: a mode the model lost shows as
        // a grey blob without colour.
        const std::string is_real = fmt::format("datum.who === '{}'", kRealLabel);
        inner["mark"] = {{"type", "circle"}};
        // Scroll to zoom into a mode, drag to pan; every cell follows (shared scales).
        inner["params"] = json::array(
            {{{"name", "zoom"}, {"select", {{"type", "interval"}}}, {"bind", "scales"}}});
        inner["encoding"] = {
            {"x", {{"field", "x"}, {"type", "quantitative"}, {"title", "x1"}}},
            {"y", {{"field", "y"}, {"type", "quantitative"}, {"title", "x2"}}},
            {"color", color},
            {"size", {{"condition", {{"test", is_real}, {"value", 40}}}, {"value", 6}}},
            {"opacity", {{"condition", {{"test", is_real}, {"value", 0.3}}}, {"value", 0.75}}}};
    } else {
        inner["mark"] = {{"type", "line"}};
        inner["encoding"] = {{"x", {{"field", "value"}, {"type", "quantitative"}, {"title", "x"}}},
                             {"y", {{"field", "density"}, {"type", "quantitative"}}},
                             {"color", color}};
    }
    json spec = {{"datasets", {{"samples", rows}}},
                 {"data", {{"name", "samples"}}},
                 {"facet",
                  {{"row",
                    {{"field", "setting"},
                     {"type", "nominal"},
                     {"sort", ordered},
                     {"title", nullptr},
                     {"header", {{"labelFontWeight", "bold"}, {"labelLimit", 170}}}}},
                   {"column",
                    {{"field", "generation"},
                     {"type", "ordinal"},
                     {"title", "generation"},
                     {"header", {{"labelFontWeight", "bold"}}}}}}},
                 {"spec", inner}};
    spec["transform"] =
        json::array({{{"calculate", fmt::format("datum.real ? '{}' : datum.setting", kRealLabel)},
                      {"as", "who"}}});
    if (columns < 2) spec["transform"].push_back(density_transform(rows, entries));
    return spec;
}

json number_or_null(const json& j) { return j.is_number() ? j : json(); }

double json_double(const json& j) { return j.is_number() ? j.get<double>() : NAN; }

// Where the threshold chart shows a candidate: a failing one at its first failing generation
// (where the tolerance was crossed), a passing one at the last generation.
const json& shown_generation(const json& candidate) {
    const json& generations = candidate.at("generations");
    const json& failure = candidate.value("first_failure", json());
    if (!candidate.value("passes", false) && failure.is_number())
        for (const auto& g : generations)
            if (g.value("generation", -1) == failure.get<int>()) return g;
    return generations.back();
}

// The threshold chart's y axis: an explicit domain (not "nice"), so that the labels of the
// reference lines can be placed in pixels.
struct ThresholdAxis {
    double low = 0.0;
    double high = 1.0;
    bool log = false;
    double height = 300.0;
    // Pixels from the top of the plot for `v`.
    double pixel(double v) const {
        const auto t = [&](double x) { return log ? std::log10(x) : x; };
        return height * (1.0 - (t(v) - t(low)) / (t(high) - t(low)));
    }
};

ThresholdAxis threshold_axis(double low, double high, double height) {
    ThresholdAxis a;
    a.height = height;
    // A failing candidate can be far off (no fresh data at all): a log scale keeps the passing
    // ones apart when the values span more than a factor of 10.
    a.log = low > 0.0 && high > 10.0 * low;
    if (a.log) {
        const double pad = std::pow(high / low, 0.05);
        a.low = low / pad;
        a.high = high * pad;
    } else {
        const double pad = high > low ? 0.05 * (high - low) : std::max(1e-9, 0.05 * std::abs(high));
        a.low = low - pad;
        a.high = high + pad;
    }
    return a;
}

json threshold_spec(const StudyFolder& folder) {
    const json& t = folder.analysis;
    const std::string metric = t.value("metric", std::string("metric"));
    const bool lower_better = t.value("lower_is_better", true);
    json rows = json::array();
    for (const auto& c : t.at("candidates")) {
        const json& shown = shown_generation(c);
        const json& value = shown.at("value");
        const auto clipped = [&](const char* key) {
            const json& v = value.value(key, json());
            return v.is_number() ? json(clip_to_domain(metric, v.get<double>())) : json();
        };
        const bool passes = c.value("passes", false);
        const json& generation = shown.value("generation", json());
        rows.push_back(
            {{"n_real_fresh", c.at("n_real_fresh")},
             {"real_fraction", number_or_null(c.value("real_fraction", json()))},
             {"result", passes ? "passes" : "fails"},
             {"first_failure", c.value("first_failure", json())},
             {"generation", generation},
             {"tag", passes || !generation.is_number() ? std::string()
                                                       : fmt::format("g{}", generation.get<int>())},
             {"mean", number_or_null(value.value("mean", json()))},
             {"ci95_low", clipped("ci95_low")},
             {"ci95_high", clipped("ci95_high")}});
    }
    const double baseline = json_double(t.at("baseline").value("mean", json()));
    const double allowed = json_double(t.value("allowed_degradation", json()));
    const double limit = lower_better ? baseline + allowed : baseline - allowed;
    double low = std::min(baseline, limit);
    double high = std::max(baseline, limit);
    json sizes = json::array();
    for (const auto& r : rows) {
        sizes.push_back(r["n_real_fresh"]);
        for (const char* key : {"mean", "ci95_low", "ci95_high"})
            if (r[key].is_number()) {
                low = std::min(low, r[key].get<double>());
                high = std::max(high, r[key].get<double>());
            }
    }
    const double height = 300;
    const ThresholdAxis axis = threshold_axis(low, high, height);
    const json x = {
        {"field", "n_real_fresh"},
        {"type", "quantitative"},
        {"scale", {{"type", "symlog"}}},
        {"axis", {{"values", sizes}, {"labelOverlap", "greedy"}, {"labelSeparation", 6}}},
        {"title", "fresh real points per generation (n_real_fresh)"}};
    json y_scale = {{"domain", json::array({axis.low, axis.high})}, {"nice", false}};
    if (axis.log) y_scale["type"] = "log";
    // The two reference lines are labelled right of the plot, away from the points, and at
    // least a line of text apart.
    constexpr double kLabelGap = 14.0;  // pixels: an 11-pixel font and some air
    double baseline_px = axis.pixel(baseline);
    double limit_px = axis.pixel(limit);
    if (std::abs(baseline_px - limit_px) < kLabelGap) {
        const double middle = 0.5 * (baseline_px + limit_px);
        const double sign = limit_px <= baseline_px ? 1.0 : -1.0;  // which one stays on top
        baseline_px = middle + sign * kLabelGap / 2;
        limit_px = middle - sign * kLabelGap / 2;
    }
    const auto rule_layers = [&](double value, const std::string& what, double label_px) {
        const json values = json::array({{{"y", value}, {"what", what}}});
        return json::array(
            {{{"data", {{"values", values}}},
              {"mark", {{"type", "rule"}, {"strokeDash", json::array({4, 4})}}},
              {"encoding",
               {{"y", {{"field", "y"}, {"type", "quantitative"}}},
                {"color", {{"value", "#888"}}},
                {"tooltip", json::array({field("what", "nominal"), field("y", "quantitative")})}}}},
             {{"data", {{"values", values}}},
              {"mark",
               {{"type", "text"},
                {"align", "left"},
                {"baseline", "middle"},
                {"fontSize", 11},
                {"dx", 6},
                {"x", {{"expr", "width"}}}}},
              {"encoding",
               {{"y", {{"value", label_px}}},
                {"text", {{"field", "what"}}},
                {"color", {{"value", "#666"}}}}}}});
    };
    const json tooltip = json::array(
        {field("n_real_fresh", "quantitative"), field("real_fraction", "quantitative"),
         field("result", "nominal"), field("first_failure", "quantitative", "first failing gen."),
         field("generation", "quantitative", "generation shown"),
         field("mean", "quantitative", metric + " (mean over seeds)"),
         field("ci95_low", "quantitative", "95% low"),
         field("ci95_high", "quantitative", "95% high")});
    const json result_color = {{"field", "result"},
                               {"type", "nominal"},
                               {"scale", color_scale({"passes", "fails"}, {"#54a24b", "#e45756"})},
                               {"legend", {{"orient", "top"}, {"title", nullptr}}}};
    json layers = json::array({
        {{"mark", {{"type", "rule"}}},
         {"encoding",
          {{"x", x},
           {"y",
            {{"field", "ci95_low"},
             {"type", "quantitative"},
             {"scale", y_scale},
             {"title", metric + " at generation " + std::to_string(t.value("generations", 0)) +
                           ", failing candidates at their first failing one" +
                           (axis.log ? " (log scale)" : "")}}},
           {"y2", {{"field", "ci95_high"}}},
           {"color", result_color}}}},
        {{"mark", {{"type", "point"}, {"filled", true}, {"size", 70}}},
         {"encoding",
          {{"x", x},
           {"y", {{"field", "mean"}, {"type", "quantitative"}}},
           {"color", result_color},
           {"tooltip", tooltip}}}},
        {{"mark", {{"type", "text"}, {"dy", -10}, {"fontSize", 10}}},
         {"transform", json::array({{{"filter", "datum.tag !== ''"}}})},
         {"encoding",
          {{"x", x},
           {"y", {{"field", "mean"}, {"type", "quantitative"}}},
           {"text", {{"field", "tag"}}},
           {"color", {{"value", "#b03a2e"}}}}}},
    });
    for (auto& layer : rule_layers(baseline, "generation 0 (real data only)", baseline_px))
        layers.push_back(layer);
    for (auto& layer : rule_layers(limit, "tolerance limit", limit_px)) layers.push_back(layer);
    if (t.contains("answer_n_real_fresh") && t["answer_n_real_fresh"].is_number()) {
        const json answer = json::array(
            {{{"n_real_fresh", t["answer_n_real_fresh"]},
              {"text", fmt::format("threshold: {}", t["answer_n_real_fresh"].get<long long>())}}});
        layers.push_back({{"data", {{"values", answer}}},
                          {"mark", {{"type", "rule"}, {"strokeWidth", 2}}},
                          {"encoding", {{"x", x}, {"color", {{"value", "#54a24b"}}}}}});
        layers.push_back(
            {{"data", {{"values", answer}}},
             {"mark",
              {{"type", "text"}, {"align", "left"}, {"dx", 5}, {"y", 8}, {"fontWeight", "bold"}}},
             {"encoding",
              {{"x", x}, {"text", {{"field", "text"}}}, {"color", {{"value", "#2f7d32"}}}}}});
    }
    return {{"datasets", {{"candidates", rows}}},
            {"data", {{"name", "candidates"}}},
            {"width", 560},
            {"height", height},
            {"layer", layers}};
}

json ess_spec(const StudyFolder& folder) {
    const json& ess = folder.analysis.at("effective_sample_size");
    const double n_real = json_double(ess.value("n_real_fresh", json()));
    json rows = json::array();
    for (const auto& p : ess.at("points")) {
        const double low = json_double(p.value("n_e_ci95_low", json()));
        const double high = json_double(p.value("n_e_ci95_high", json()));
        rows.push_back({{"n_synthetic", p.at("n_synthetic")},
                        {"ratio", number_or_null(p.value("ratio", json()))},
                        {"ratio_low", json(low / n_real)},
                        {"ratio_high", json(high / n_real)},
                        {"n_e", number_or_null(p.value("n_e", json()))},
                        {"clamped", p.value("clamped", std::string())}});
    }
    json sizes = json::array();
    for (const auto& r : rows) sizes.push_back(r["n_synthetic"]);
    const json x = {
        {"field", "n_synthetic"},
        {"type", "quantitative"},
        {"scale", {{"type", "symlog"}}},
        {"axis", {{"values", sizes}, {"labelOverlap", "greedy"}, {"labelSeparation", 6}}},
        {"title", "synthetic points per generation (n_synthetic)"}};
    const json y_title = fmt::format("n_e / n_real_fresh (n_real_fresh = {})", n_real);
    return {
        {"datasets", {{"ess", rows}}},
        {"data", {{"name", "ess"}}},
        {"width", 560},
        {"height", 280},
        {"layer",
         json::array(
             {{{"mark", {{"type", "area"}, {"opacity", 0.2}, {"color", "#4c78a8"}}},
               {"encoding",
                {{"x", x},
                 {"y", {{"field", "ratio_low"}, {"type", "quantitative"}, {"title", y_title}}},
                 {"y2", {{"field", "ratio_high"}}}}}},
              {{"mark", {{"type", "line"}, {"point", true}, {"color", "#4c78a8"}}},
               {"encoding",
                {{"x", x},
                 {"y", {{"field", "ratio"}, {"type", "quantitative"}}},
                 {"tooltip", json::array({field("n_synthetic", "quantitative"),
                                          field("n_e", "quantitative", "n_e"),
                                          field("ratio", "quantitative", "n_e / n_real_fresh"),
                                          field("ratio_low", "quantitative", "95% low"),
                                          field("ratio_high", "quantitative", "95% high"),
                                          field("clamped", "nominal")})}}}},
              {{"data", {{"values", json::array({{{"y", 1}}})}}},
               {"mark", {{"type", "rule"}, {"strokeDash", json::array({4, 4})}, {"color", "#888"}}},
               {"encoding", {{"y", {{"field", "y"}, {"type", "quantitative"}}}}}}})}};
}

json decompose_spec(const StudyFolder& folder) {
    const json& d = folder.analysis;
    json parts = json::array();
    json totals = json::array();
    for (const auto& row : d.at("generations_table")) {
        for (const char* part : {"statistical", "functional", "interaction"}) {
            const json& e = row.at(part);
            parts.push_back(
                {{"generation", row.at("generation")},
                 {"part", part},
                 {"mean", number_or_null(e.value("mean", json()))},
                 {"ci95_low", number_or_null(e.value("ci95_low", json()))},
                 {"ci95_high", number_or_null(e.value("ci95_high", json()))},
                 {"share", number_or_null(row.value(std::string("share_") + part, json()))}});
        }
        const json& total = row.at("total");
        totals.push_back({{"generation", row.at("generation")},
                          {"total", number_or_null(total.value("mean", json()))},
                          {"ci95_low", number_or_null(total.value("ci95_low", json()))},
                          {"ci95_high", number_or_null(total.value("ci95_high", json()))}});
    }
    const std::string metric = d.value("metric", std::string("metric"));
    const json x = {{"field", "generation"},
                    {"type", "ordinal"},
                    {"axis", {{"labelAngle", 0}}},
                    {"title", "generation"}};
    return {
        {"datasets", {{"parts", parts}, {"totals", totals}}},
        {"width", 560},
        {"height", 300},
        {"layer",
         json::array(
             {{{"data", {{"name", "parts"}}},
               {"mark", {{"type", "bar"}}},
               {"encoding",
                {{"x", x},
                 {"y",
                  {{"field", "mean"},
                   {"type", "quantitative"},
                   {"stack", "zero"},
                   {"title", "degradation of " + metric + " from the reference"}}},
                 {"color",
                  {{"field", "part"},
                   {"type", "nominal"},
                   {"scale", color_scale({"statistical", "functional", "interaction"},
                                         {"#4c78a8", "#f58518", "#bab0ac"})},
                   {"legend", {{"orient", "top"}, {"title", nullptr}}}}},
                 {"tooltip", json::array({field("generation", "ordinal"), field("part", "nominal"),
                                          field("mean", "quantitative"),
                                          field("ci95_low", "quantitative", "95% low"),
                                          field("ci95_high", "quantitative", "95% high"),
                                          field("share", "quantitative", "share of total")})}}}},
              {{"data", {{"name", "totals"}}},
               {"mark", {{"type", "line"}, {"point", true}, {"color", "#222"}}},
               {"encoding",
                {{"x", x},
                 {"y", {{"field", "total"}, {"type", "quantitative"}}},
                 {"tooltip", json::array({field("generation", "ordinal"),
                                          field("total", "quantitative", "total degradation"),
                                          field("ci95_low", "quantitative", "95% low"),
                                          field("ci95_high", "quantitative", "95% high")})}}}}})}};
}

std::string join(const std::vector<std::string>& list, const std::string& sep) {
    std::string out;
    for (std::size_t i = 0; i < list.size(); ++i) out += (i ? sep : "") + list[i];
    return out;
}

std::string analysed_metric(const StudyFolder& folder) {
    return folder.analysis.is_object() ? folder.analysis.value("metric", std::string()) : "";
}

// The metrics of the explorer: headline first, then the others in summary order.
std::vector<std::string> explorer_metrics(const StudyFolder& folder,
                                          const std::vector<std::string>& headline) {
    std::vector<std::string> out = headline;
    for (const auto& m : folder.metrics)
        if (!contains(out, m)) out.push_back(m);
    return out;
}

// What the sample grid's caption adds for data that is not 2-D.
std::string sample_grid_note(std::size_t columns) {
    if (columns > 2) return " The data has more than two columns: the first two are drawn.";
    if (columns == 1)
        return " For 1-D data each curve is a kernel density with one bandwidth for all (Scott's "
               "rule on the real points): a collapsed model shows as a spike of that width.";
    return "";
}

std::vector<ReportView> views(const StudyFolder& folder, const ReportOptions& options,
                              bool interactive) {
    const auto settings = trajectory_settings(folder);
    const auto headline = headline_metrics(folder.metrics, analysed_metric(folder));
    std::vector<ReportView> out;
    if (!settings.empty() && !headline.empty()) {
        std::string caption =
            "Each line is a setting's mean over seeds at each generation "
            "(generation 0 is trained on real data only); the band is the 95% "
            "interval of that mean. Click a setting in the legend to single "
            "it out.";
        for (const auto& m : headline) {
            const MetricInfo info = metric_info(m);
            if (!info.meaning.empty()) caption += " " + m + ": " + info.meaning + ".";
        }
        const std::string note = few_seeds_note(folder, settings);
        if (!note.empty()) caption += " " + note;
        if (const auto grid = sweep_grid(settings)) {
            out.push_back(
                {"sweep", "The headline metrics over the swept grid",
                 "Each cell is one setting of the sweep: the mean over seeds of a headline "
                 "metric at its last generation, " +
                     grid->x_key + " across and " + grid->y_key +
                     " down, each metric with its own colour scale. Hover a cell for its 95% "
                     "interval and seeds; the trajectories are in the chart below." +
                     (note.empty() ? "" : " " + note),
                 sweep_heatmap_spec(folder, *grid, headline)});
        } else {
            ReportView view{"headline", "How the headline metrics move over generations", caption,
                            headline_spec(folder, settings, headline)};
            // The explorer's log switch, by the same rule, for the headline metrics.
            const auto log_headline = decade_spanning_metrics(folder, settings, headline);
            if (!log_headline.empty()) {
                json log_spec = headline_log_spec(folder, settings, headline, log_headline);
                if (interactive) {
                    view.caption += " " + join(log_headline, ", ") +
                                    " span more than a decade: the switch above the chart draws "
                                    "them on a log axis.";
                    view.log_spec = std::move(log_spec);
                    view.log_metrics = log_headline;
                } else {
                    view.spec = std::move(log_spec);  // a figure draws what the page first does
                }
            }
            out.push_back(std::move(view));
        }
        const auto metrics = explorer_metrics(folder, headline);
        const auto log_metrics = decade_spanning_metrics(folder, settings, metrics);
        if (interactive) {
            ReportView explore{"explore", "Every metric, one at a time",
                               "Pick a metric and a setting (or all) with the selectors under the "
                               "chart; hover a point for its exact values over seeds. Recorded "
                               "metrics: " +
                                   join(metrics, ", ") + "." + (note.empty() ? "" : " " + note),
                               explorer_spec(folder, settings, metrics)};
            if (!log_metrics.empty()) {
                explore.caption += " " + join(log_metrics, ", ") +
                                   " span more than a decade: the switch above the chart draws "
                                   "them on a log axis.";
                explore.log_spec = with_log_axis(explore.spec);
                explore.log_metrics = log_metrics;
                explore.log_param = "metric_choice";
            }
            out.push_back(std::move(explore));
        } else {
            for (const auto& m : metrics) {
                json spec = single_metric_spec(folder, settings, m);
                const bool log = contains(log_metrics, m);
                out.push_back({"metric-" + m, metric_label(m) + (log ? " (log axis)" : ""),
                               metric_info(m).meaning, log ? with_log_axis(spec) : spec});
            }
        }
    }
    if (contains(folder.metrics, "precision") && contains(folder.metrics, "recall") &&
        !settings.empty())
        out.push_back({"qd-plane", "The quality-diversity plane",
                       "Precision (quality) against recall (diversity), one trajectory per "
                       "setting from generation 0 (g0) to the last, points growing with the "
                       "generation. The real-data model sits at the top right; a model going "
                       "MAD drifts left (modes lost: less diversity) and then down (less "
                       "quality).",
                       qd_spec(folder, settings)});
    const auto entries = first_seed_samples(folder, false);
    if (!entries.empty())
        out.push_back({"samples", "Samples, generation by generation",
                       "Samples of the first seed of each setting (coloured) over the held-out "
                       "real test data (grey), at the stored generations. Fewer covered modes, "
                       "or points spread off the data, is MAD made visible. Scroll over a cell "
                       "to zoom into a mode (every cell follows), drag to pan, double-click to "
                       "reset." +
                           sample_grid_note(entries.front()->columns),
                       sample_grid_spec(folder, entries, options.max_points)});
    if (folder.kind == FolderKind::kThreshold) {
        const std::string metric = analysed_metric(folder);
        out.push_back({"threshold", "How much fresh real data is enough",
                       "Each candidate n_real_fresh: " + metric +
                           " (mean and 95% interval over seeds) at the last generation for a "
                           "passing candidate, and for a failing one at the generation where it "
                           "first failed (marked g1, g2...). A candidate passes when at every "
                           "generation its degradation from generation 0 stays within the "
                           "tolerance with 95% confidence; the green line marks the smallest "
                           "passing candidate above which all pass.",
                       threshold_spec(folder)});
        if (folder.analysis.contains("effective_sample_size"))
            out.push_back({"ess", "Effective sample size of the fresh-data loop",
                           "n_e is the number of real points alone that gives a model as close "
                           "to the data as the fresh-data loop in its limit (Alemohammad et al. "
                           "2023). Above the dashed line (n_e / n_real_fresh = 1) the synthetic "
                           "points help; the band is the 95% interval.",
                           ess_spec(folder)});
    }
    if (folder.kind == FolderKind::kDecompose)
        out.push_back({"decompose", "Statistical or functional error",
                       "Per generation, how the degradation of " + analysed_metric(folder) +
                           " from the reference splits into its statistical part (finite "
                           "samples), its functional part (a family that cannot represent the "
                           "data) and their interaction; the line is the total.",
                       decompose_spec(folder)});
    return out;
}

}  // namespace

std::vector<std::string> decade_spanning_metrics(const StudyFolder& folder,
                                                 const std::vector<std::string>& settings,
                                                 const std::vector<std::string>& metrics) {
    std::vector<std::string> out;
    for (const auto& m : metrics) {
        if (!log_axis_allowed(m)) continue;
        double low = INFINITY;
        double high = 0.0;
        for (const auto& r : folder.summary)
            if (r.metric == m && r.mean > 0.0 && std::isfinite(r.mean) &&
                contains(settings, r.setting)) {
                low = std::min(low, r.mean);
                high = std::max(high, r.mean);
            }
        if (high > 10.0 * low) out.push_back(m);
    }
    return out;
}

json with_log_axis(json spec) {
    spec["transform"].push_back({{"filter", "datum.mean > 0"}});
    spec["transform"].push_back(
        {{"calculate", "datum.ci95_low > 0 ? datum.ci95_low : datum.mean"}, {"as", "band_low"}});
    json& band = spec["layer"][0]["encoding"]["y"];
    band["field"] = "band_low";
    band["scale"] = {{"type", "log"}};
    band["title"] = "mean over seeds, 95% band (log scale)";
    return spec;
}

std::string few_seeds_note(const StudyFolder& folder, const std::vector<std::string>& settings) {
    std::size_t seeds = 0;
    for (const auto& r : folder.summary)
        if (r.count > 0 && contains(settings, r.setting))
            seeds = seeds == 0 ? r.count : std::min(seeds, r.count);
    if (seeds == 1) return "With one seed there is no band: the line is that seed's value.";
    if (seeds == 0 || seeds >= kMinSeedsForBand) return "";
    return fmt::format(
        "Too few seeds for a meaningful band: with {} seeds the 95% band is the mean \u00b1 {:.3g} "
        "standard errors (Student's t with {} degree{} of freedom), wide enough to hide any "
        "difference; it is clipped to each metric's range. Run {} or more seeds to compare "
        "settings.",
        seeds, student_t_975(seeds - 1), seeds - 1, seeds == 2 ? "" : "s", kMinSeedsForBand);
}

std::vector<std::string> setting_colors(std::size_t count) {
    static const std::vector<std::string> kPalette = {
        "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2",
        "#ff9da6", "#9d755d", "#bab0ac", "#9ecae9", "#ffbf79", "#ff9d98", "#88d27a",
        "#83bcb6", "#d6a5c9", "#fcbfd2", "#d8b5a5", "#79706e", "#439894"};
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) out.push_back(kPalette[i % kPalette.size()]);
    return out;
}

std::vector<std::string> trajectory_settings(const StudyFolder& folder) {
    std::vector<std::string> out;
    if (folder.kind == FolderKind::kThreshold && folder.analysis.contains("candidates")) {
        // Candidate runs are named "candidate n_real_fresh=<n>" (threshold.cpp).
        std::vector<long long> sizes;
        for (const auto& c : folder.analysis["candidates"])
            sizes.push_back(c.at("n_real_fresh").get<long long>());
        std::sort(sizes.begin(), sizes.end());
        for (long long n : sizes) {
            const std::string name = "candidate n_real_fresh=" + std::to_string(n);
            if (contains(folder.settings, name)) out.push_back(name);
        }
        if (!out.empty()) return out;
    }
    std::map<std::string, std::set<int>> generations;
    for (const auto& r : folder.summary) generations[r.setting].insert(r.generation);
    for (const auto& s : folder.settings)
        if (generations[s].size() > 1) out.push_back(s);
    return out;
}

std::vector<ReportView> report_views(const StudyFolder& folder, const ReportOptions& options) {
    return views(folder, options, true);
}

std::vector<ReportView> figure_views(const StudyFolder& folder, const ReportOptions& options) {
    return views(folder, options, false);
}

}  // namespace madlab
