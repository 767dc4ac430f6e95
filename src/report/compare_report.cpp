#include "madlab/report/compare_report.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "madlab/core/error.h"
#include "madlab/report/html_report.h"
#include "madlab/report/metric_catalog.h"

namespace madlab {

namespace {

using nlohmann::json;

bool has(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::vector<std::string> common_metrics(const std::vector<StudyFolder>& studies) {
    std::vector<std::string> out;
    if (studies.empty()) return out;
    for (const auto& m : studies.front().metrics) {
        if (is_bookkeeping_metric(m)) continue;
        bool everywhere = true;
        for (const auto& s : studies) everywhere = everywhere && has(s.metrics, m);
        if (everywhere) out.push_back(m);
    }
    return out;
}

std::vector<std::string> study_labels(const std::vector<StudyFolder>& studies) {
    std::vector<std::string> out;
    std::map<std::string, int> seen;
    for (const auto& s : studies) {
        const std::string name = s.study_name();
        const int n = ++seen[name];
        out.push_back(n == 1 ? name : fmt::format("{} ({})", name, n));
    }
    return out;
}

ReportView comparison_view(const std::vector<StudyFolder>& studies) {
    const auto common = common_metrics(studies);
    // Headline metrics first, then the other common ones.
    std::vector<std::string> metrics = headline_metrics(common);
    for (const auto& m : common)
        if (!has(metrics, m)) metrics.push_back(m);
    const auto labels = study_labels(studies);
    json rows = json::array();
    std::vector<std::string> settings;
    for (std::size_t i = 0; i < studies.size(); ++i) {
        const auto drawn = trajectory_settings(studies[i]);
        for (const auto& r : studies[i].summary) {
            if (!has(metrics, r.metric) || !has(drawn, r.setting)) continue;
            if (!has(settings, r.setting)) settings.push_back(r.setting);
            rows.push_back({{"study", labels[i]},
                            {"setting", r.setting},
                            {"series", labels[i] + ": " + r.setting},
                            {"metric", r.metric},
                            {"label", metric_label(r.metric)},
                            {"generation", r.generation},
                            {"mean", r.mean},
                            {"ci95_low", clip_to_domain(r.metric, r.ci95_low)},
                            {"ci95_high", clip_to_domain(r.metric, r.ci95_high)},
                            {"count", r.count}});
        }
    }
    std::vector<std::string> panel_order;
    for (const auto& m : metrics) panel_order.push_back(metric_label(m));
    const json color = {{"field", "study"},
                        {"type", "nominal"},
                        {"sort", labels},
                        {"legend", {{"orient", "top"}, {"title", "study"}}}};
    const json tooltip =
        json::array({{{"field", "study"}, {"type", "nominal"}},
                     {{"field", "setting"}, {"type", "nominal"}},
                     {{"field", "generation"}, {"type", "quantitative"}},
                     {{"field", "mean"}, {"type", "quantitative"}, {"format", ".5~g"}},
                     {{"field", "ci95_low"},
                      {"type", "quantitative"},
                      {"title", "95% low"},
                      {"format", ".5~g"}},
                     {{"field", "ci95_high"},
                      {"type", "quantitative"},
                      {"title", "95% high"},
                      {"format", ".5~g"}},
                     {{"field", "count"}, {"type", "quantitative"}, {"title", "seeds"}}});
    const json inner = {
        {"width", 400},
        {"height", 220},
        {"encoding",
         {{"x",
           {{"field", "generation"},
            {"type", "quantitative"},
            {"axis", {{"tickMinStep", 1}, {"format", "d"}}}}},
          {"color", color},
          {"detail", {{"field", "series"}, {"type", "nominal"}}}}},
        {"layer", json::array({{{"mark", {{"type", "area"}, {"opacity", 0.15}}},
                                {"encoding",
                                 {{"y",
                                   {{"field", "ci95_low"},
                                    {"type", "quantitative"},
                                    {"scale", {{"zero", false}}},
                                    {"title", "mean over seeds, 95% band"}}},
                                  {"y2", {{"field", "ci95_high"}}}}}},
                               {{"mark", {{"type", "line"}, {"point", true}, {"strokeWidth", 2}}},
                                {"encoding",
                                 {{"y", {{"field", "mean"}, {"type", "quantitative"}}},
                                  {"strokeDash",
                                   {{"field", "setting"},
                                    {"type", "nominal"},
                                    {"sort", settings},
                                    {"legend", {{"orient", "top"}, {"title", "setting"}}}}},
                                  {"tooltip", tooltip}}}}})}};
    json spec = {{"datasets", {{"compare", rows}}},
                 {"data", {{"name", "compare"}}},
                 {"facet",
                  {{"field", "label"},
                   {"type", "nominal"},
                   {"sort", panel_order},
                   {"title", nullptr},
                   {"header", {{"labelFontSize", 13}, {"labelFontWeight", "bold"}}}}},
                 {"columns", 2},
                 {"spec", inner},
                 {"resolve", {{"scale", {{"y", "independent"}}}}}};
    std::string names;
    for (const auto& l : labels) names += (names.empty() ? "" : ", ") + l;
    return {"compare", "The studies side by side",
            "Every metric the studies share (" + std::to_string(metrics.size()) +
                "), one panel each: a line per setting of each study (mean over seeds at each "
                "generation, with its 95% band), colour by study (" +
                names +
                "), dash by setting. Two studies that differ in one thing (model, data or "
                "schedule) differ in their lines by what that change did.",
            spec};
}

std::string render_comparison(const std::vector<StudyFolder>& studies) {
    if (common_metrics(studies).empty()) {
        std::string dirs;
        for (const auto& s : studies) dirs += (dirs.empty() ? "" : ", ") + s.dir;
        throw DataError(fmt::format(
            "the studies {} share no metric: compare studies that recorded at least one "
            "metric in common (metrics.list)",
            dirs));
    }
    const auto labels = study_labels(studies);
    const ReportView view = comparison_view(studies);
    std::string body =
        "<header class=\"study\">\n<div class=\"eyebrow\">madlab report \u00b7 comparison</div>\n"
        "<h1>" +
        std::to_string(studies.size()) +
        " studies</h1>\n<table class=\"final\">\n<tr><th>study</th><th>question</th>"
        "<th>folder</th><th>settings</th><th>last generation</th></tr>\n";
    for (std::size_t i = 0; i < studies.size(); ++i) {
        int last = 0;
        for (const auto& r : studies[i].summary) last = std::max(last, r.generation);
        body +=
            fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                        html_escape(labels[i]), html_escape(studies[i].study_description()),
                        html_escape(studies[i].dir),
                        html_escape(fmt::format("{}", fmt::join(studies[i].settings, ", "))), last);
    }
    body += "</table>\n</header>\n";
    body += view_sections_html({view});
    body += "<footer>Made by madlab " + html_escape(MADLAB_VERSION) +
            ". Charts: Vega-Lite (<span id=\"js-versions\"></span>), inlined: the page loads "
            "nothing from the network.</footer>\n";
    return report_page("comparison of " + std::to_string(studies.size()) + " studies", body,
                       {view});
}

}  // namespace madlab
