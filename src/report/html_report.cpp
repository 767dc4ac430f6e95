#include "madlab/report/html_report.h"

#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "madlab/core/atomic_file.h"
#include "madlab/report/assets.h"
#include "madlab/report/findings.h"
#include "madlab/report/metric_catalog.h"
#include "madlab/report/sample_html.h"
#include "madlab/store/run_folder.h"

namespace madlab {

namespace {

using nlohmann::json;

const char* const kStyle = R"(
:root { --ink: #1d232b; --muted: #5b6470; --line: #dde1e6; --worse: #c0392b; --better: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
header.study { background: #fff; border: 1px solid var(--line); border-radius: 10px;
               padding: 20px 24px; }
.eyebrow { font-size: 12px; letter-spacing: .08em; text-transform: uppercase; color: var(--muted); }
h1 { margin: 4px 0 6px; font-size: 28px; }
h2 { margin: 0 0 6px; font-size: 20px; }
.question { font-size: 18px; margin: 0 0 14px; }
.question.missing { color: var(--muted); font-style: italic; font-size: 15px; }
dl.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
          gap: 6px 18px; margin: 0 0 10px; }
dl.meta div { min-width: 0; }
dl.meta dt { font-size: 12px; color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
details.config summary { cursor: pointer; color: var(--muted); }
details.config pre { max-height: 420px; overflow: auto; background: #f3f4f6; padding: 10px 12px;
                     border-radius: 6px; font-size: 12.5px; }
nav.views { margin: 14px 0 0; font-size: 14px; }
nav.views a { margin-right: 14px; color: #2b5d9b; text-decoration: none; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 10px;
               padding: 18px 24px; margin-top: 18px; }
.caption { color: var(--muted); margin: 0 0 12px; max-width: 900px; }
ul.findings { margin: 4px 0 14px; padding-left: 20px; }
ul.findings li { margin: 3px 0; }
.verdict { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px;
           font-weight: 600; color: #fff; background: #8a939e; }
.verdict.worse { background: var(--worse); }
.verdict.better { background: var(--better); }
.verdict.inconclusive { background: #b08900; }
table.final { border-collapse: collapse; font-size: 14px; }
table.final th, table.final td { border-bottom: 1px solid var(--line); padding: 6px 12px;
                                 text-align: left; vertical-align: top; }
table.final th { font-weight: 600; color: var(--muted); font-size: 13px; }
td .change { display: block; font-size: 12.5px; color: var(--muted); }
td.worse .change { color: var(--worse); font-weight: 600; }
td.better .change { color: var(--better); font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.chart { overflow-x: auto; }
.chart.failed { color: var(--worse); }
.samples-html table { border-collapse: collapse; width: 100%; font-size: 14px; }
.samples-html td { border-bottom: 1px solid var(--line); padding: 6px 10px; vertical-align: top; }
.samples-html td.gen { width: 90px; color: var(--muted); white-space: nowrap; }
.samples-html .line { margin: 2px 0; }
.samples-html details { margin: 6px 0; }
.samples-html summary { cursor: pointer; font-weight: 600; }
.samples-html img.sample { image-rendering: pixelated; margin: 0 3px 3px 0; border: 1px solid #ccc; }
footer { color: var(--muted); font-size: 13px; margin-top: 22px; }
.log-switch { display: inline-block; margin: 0 0 8px; font-size: 14px; color: var(--muted); }
.vega-bind { margin: 4px 16px 0 0; display: inline-block; }
.vega-bind-name { color: var(--muted); }
)";

// Draws every chart with vega-embed, SVG renderer (crisp, and countable marks for the browser
// test), and records the outcome in window.madlabReport.
const char* const kScript = R"(
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("madlab-data").textContent);
  var status = window.madlabReport = { expected: data.views.length, rendered: 0, failed: [], done: false };
  var options = { renderer: "svg", mode: "vega-lite",
                  actions: { export: true, source: false, compiled: false, editor: false } };
  var versions = document.getElementById("js-versions");
  if (versions) versions.textContent = "vega " + vega.version + ", vega-lite " + vegaLite.version +
                                       ", vega-embed " + vegaEmbed.version;
  var views = window.madlabViews = {};  // the vega View of each chart, by id
  status.logScale = {};  // whether a chart with a log switch is drawn on its log axis
  // The chart's spec (or its log axis variant) with its shared datasets and the values its
  // inputs had, so that a redrawn chart keeps the metric and setting chosen.
  function specOf(view, log, params) {
    var spec = JSON.parse(JSON.stringify(log ? view.log_spec : view.spec));
    (spec.params || []).forEach(function (p) { if (p.name in params) p.value = params[p.name]; });
    spec.datasets = spec.datasets || {};
    view.datasets.forEach(function (name) { spec.datasets[name] = data.datasets[name]; });
    return spec;
  }
  // Draws `view` into a fresh element of `target`. With a log switch the log axis is used while
  // the switch is on and the chosen metric is one of view.log_metrics; choosing a metric or
  // flipping the switch redraws the chart when that changes.
  function draw(view, target, params) {
    var box = document.getElementById("log-" + view.id);
    var chosen = view.log_param ? params[view.log_param] : null;
    var log = !!(view.log_spec && box && box.checked &&
                 (!view.log_param || view.log_metrics.indexOf(chosen) >= 0));
    var holder = document.createElement("div");
    target.replaceChildren(holder);
    return vegaEmbed(holder, specOf(view, log, params), options).then(function (result) {
      views[view.id] = result.view;
      if (!view.log_spec) return;
      status.logScale[view.id] = log;
      (view.spec.params || []).forEach(function (p) {
        if (!p.bind) return;
        params[p.name] = result.view.signal(p.name);
        result.view.addSignalListener(p.name, function (name, value) {
          params[name] = value;
          var wanted = box.checked && view.log_metrics.indexOf(value) >= 0;
          if (name === view.log_param && wanted !== log) redraw(view, target, params, result);
        });
      });
      box.onchange = function () { redraw(view, target, params, result); };
    });
  }
  function redraw(view, target, params, previous) {
    previous.finalize();
    draw(view, target, params).catch(function (error) { console.error(error); });
  }
  Promise.all(data.views.map(function (view) {
    var target = document.getElementById("view-" + view.id);
    var params = {};
    if (view.log_param) params[view.log_param] = (view.spec.params || []).filter(function (p) {
      return p.name === view.log_param; })[0].value;
    return draw(view, target, params).then(function () {
      status.rendered += 1;
    }).catch(function (error) {
      status.failed.push(view.id + ": " + error);
      target.classList.add("failed");
      target.textContent = "This chart could not be drawn: " + error;
      console.error(error);
    });
  })).then(function () { status.done = true; });
})();
)";

std::string format_number(double v) {
    if (!std::isfinite(v)) return "-";
    return fmt::format("{:.4g}", v);
}

std::string format_seconds(double s) {
    if (s <= 0.0) return "-";
    if (s < 1.0) return fmt::format("{:.2f} s", s);
    if (s < 120.0) return fmt::format("{:.1f} s", s);
    if (s < 7200.0) return fmt::format("{:.1f} min", s / 60.0);
    return fmt::format("{:.1f} h", s / 3600.0);
}

// Three significant digits, without an exponent between 0.001 and 100000.
std::string short_number(double v) {
    const double a = std::abs(v);
    if (a >= 1000.0 && a < 1e5) return fmt::format("{:.0f}", v);
    return fmt::format("{:.3g}", v);
}

// "+21%", "−0.4%": one decimal below 10%.
std::string percent(double fraction) {
    const double p = std::abs(fraction) * 100.0;
    const char* sign = fraction >= 0 ? "+" : "\u2212";
    return p < 9.95 ? fmt::format("{}{:.1f}%", sign, p) : fmt::format("{}{:.0f}%", sign, p);
}

// "−19%" or "×9.5": the change against generation 0's mean; "" when that mean is 0.
std::string relative_change(const MetricChange& c) {
    if (c.first_mean == 0.0 || !std::isfinite(c.first_mean)) return "";
    const double ratio = c.last_mean / c.first_mean;
    if (ratio >= 2.0) return fmt::format("\u00d7{:.2g}", ratio);
    return percent(c.change / std::abs(c.first_mean));
}

// "−0.189 (−19%)" or "+0.197 (×9.5)": the paired change and its size against generation 0.
std::string format_change(const MetricChange& c) {
    if (!std::isfinite(c.change)) return "";
    std::string out = (c.change >= 0 ? "+" : "\u2212") + short_number(std::abs(c.change));
    if (const std::string relative = relative_change(c); !relative.empty())
        out += " (" + relative + ")";
    return out;
}

// "recall −19%" for the verdict lines.
std::string metric_change(const MetricChange& c) {
    const std::string relative = relative_change(c);
    return c.metric + " " + (relative.empty() ? format_change(c) : relative);
}

std::string config_value(const json& config, const char* section, const char* key) {
    const json* base = config.contains("base") ? &config["base"] : &config;
    if (!base->contains(section) || !(*base)[section].contains(key)) return "";
    const json& v = (*base)[section][key];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string meta_item(const std::string& label, const std::string& value) {
    return fmt::format("<div><dt>{}</dt><dd>{}</dd></div>", html_escape(label), html_escape(value));
}

std::string header_html(const StudyFolder& folder, const std::vector<ReportView>& views,
                        bool text_samples, bool image_samples) {
    static const std::map<FolderKind, std::string> kKinds = {
        {FolderKind::kRun, "madlab report"},
        {FolderKind::kThreshold, "madlab report \u00b7 threshold analysis"},
        {FolderKind::kDecompose, "madlab report \u00b7 error decomposition"}};
    std::string out = "<header class=\"study\">\n";
    out += fmt::format("<div class=\"eyebrow\">{}</div>\n<h1>{}</h1>\n",
                       html_escape(kKinds.at(folder.kind)), html_escape(folder.study_name()));
    const std::string question = folder.study_description();
    out += question.empty() ? "<p class=\"question missing\">The study has no question: set "
                              "study.description in its config.</p>\n"
                            : fmt::format("<p class=\"question\">{}</p>\n", html_escape(question));
    const json& study = folder.config.contains("study") ? folder.config["study"] : json::object();
    out += "<dl class=\"meta\">";
    std::string model = config_value(folder.config, "model", "family");
    if (const auto c = config_value(folder.config, "model", "components"); !c.empty())
        model += " (" + c + " components)";
    if (const auto o = config_value(folder.config, "model", "order"); !o.empty())
        model += " (order " + o + ")";
    out += meta_item("data source", config_value(folder.config, "source", "kind"));
    out += meta_item("model", model);
    out += meta_item("settings", std::to_string(folder.settings.size()));
    if (study.contains("seeds")) out += meta_item("seeds", study["seeds"].dump());
    if (study.contains("generations")) out += meta_item("generations", study["generations"].dump());
    out += meta_item("run time", format_seconds(folder.run_seconds));
    out += meta_item("madlab version",
                     folder.madlab_version.empty() ? "unknown" : folder.madlab_version);
    out += meta_item("results database",
                     folder.db_path.empty() ? "none (run with --no-db)" : folder.db_path);
    out += meta_item("folder", std::filesystem::absolute(folder.dir).lexically_normal().string());
    out += "</dl>\n";
    const std::string config_text =
        !folder.config_toml.empty() ? folder.config_toml : folder.config.dump(2);
    out += fmt::format(
        "<details class=\"config\"><summary>Resolved configuration ({})</summary><pre>{}</pre>"
        "</details>\n",
        folder.config_toml.empty() ? "JSON" : "config.toml", html_escape(config_text));
    out += "<nav class=\"views\"><a href=\"#glance\">At a glance</a>";
    for (const auto& v : views)
        out +=
            fmt::format("<a href=\"#section-{}\">{}</a>", html_escape(v.id), html_escape(v.title));
    if (text_samples) out += "<a href=\"#section-text-samples\">Text samples</a>";
    if (image_samples) out += "<a href=\"#section-image-samples\">Image samples</a>";
    out += "</nav>\n</header>\n";
    return out;
}

// One line per setting: which headline metrics got worse or better from generation 0 to the
// last, by the rule of FindingOptions.
std::string findings_html(const StudyFolder& folder, const std::vector<std::string>& settings,
                          const std::vector<MetricChange>& changes, const FindingOptions& options) {
    bool any_paired = false;
    for (const auto& c : changes) any_paired = any_paired || std::isfinite(c.change);
    if (!any_paired) return "";
    std::string out = "<ul class=\"findings\">\n";
    for (const auto& s : settings) {
        std::vector<std::string> worse;
        std::vector<std::string> better;
        std::vector<std::string> undecided;
        int last = 0;
        bool judged = false;
        for (const auto& c : changes) {
            if (c.setting != s) continue;
            last = c.last_generation;
            judged = judged || c.verdict != Verdict::kUnknown;
            if (c.verdict == Verdict::kWorse) worse.push_back(metric_change(c));
            if (c.verdict == Verdict::kBetter) better.push_back(metric_change(c));
            if (c.verdict == Verdict::kInconclusive) undecided.push_back(c.metric);
        }
        if (!judged) continue;
        const auto list = [](const std::vector<std::string>& items) {
            std::string text;
            for (std::size_t i = 0; i < items.size(); ++i) text += (i ? ", " : "") + items[i];
            return text;
        };
        // A setting holds only when every headline metric does; one worse metric makes it worse.
        std::string verdict = "holds";
        std::string detail = fmt::format(
            "every headline metric stayed within {:.0f}% of generation 0 at generation {} (the "
            "95% interval of the change excludes more)",
            options.material * 100.0, last);
        if (!worse.empty()) {
            verdict = "worse";
            detail = "by generation " + std::to_string(last) + ": " + list(worse);
            if (!better.empty()) detail += "; better: " + list(better);
        } else if (!better.empty()) {
            verdict = "better";
            detail = "by generation " + std::to_string(last) + ": " + list(better);
        } else if (!undecided.empty()) {
            verdict = "inconclusive";
            detail = fmt::format(
                "the seeds cannot tell whether {} moved by {:.0f}% or more by generation {}; "
                "more seeds would narrow the interval",
                list(undecided), options.material * 100.0, last);
        }
        if (verdict != "inconclusive" && verdict != "holds" && !undecided.empty())
            detail += "; inconclusive: " + list(undecided);
        out += fmt::format(
            "<li>{}<strong>{}</strong> <span class=\"verdict {}\">{}</span> {}</li>\n",
            setting_swatch(folder, s), html_escape(s), verdict, verdict, html_escape(detail));
    }
    out += "</ul>\n";
    return out;
}

std::string final_table_html(const StudyFolder& folder, const std::vector<std::string>& settings,
                             const std::vector<std::string>& metrics,
                             const std::vector<MetricChange>& changes) {
    std::string out = "<table class=\"final\">\n<tr><th>setting</th>";
    for (const auto& m : metrics) out += "<th>" + html_escape(metric_label(m)) + "</th>";
    out += "</tr>\n";
    for (const auto& s : settings) {
        out += "<tr><td>" + setting_swatch(folder, s) + html_escape(s) + "</td>";
        for (const auto& m : metrics) {
            const MetricChange* found = nullptr;
            for (const auto& c : changes)
                if (c.setting == s && c.metric == m) found = &c;
            if (found == nullptr) {
                out += "<td>-</td>";
                continue;
            }
            const std::string change = format_change(*found);
            out += fmt::format(
                "<td class=\"{}\" title=\"generation {}: mean over seeds [95% interval]; below: "
                "change from generation 0, paired by seed\">{} [{}, {}]{}</td>",
                verdict_name(found->verdict), found->last_generation,
                format_number(found->last_mean), format_number(found->last_low),
                format_number(found->last_high),
                change.empty() ? "" : "<span class=\"change\">" + html_escape(change) + "</span>");
        }
        out += "</tr>\n";
    }
    out += "</table>\n";
    return out;
}

std::string threshold_glance_html(const StudyFolder& folder) {
    const json& t = folder.analysis;
    const std::string metric = t.value("metric", std::string());
    std::string out = "<p>";
    const std::string tolerance = t.value("tolerance_kind", std::string()) == "absolute"
                                      ? fmt::format("{:g}", t.value("tolerance", 0.0))
                                      : fmt::format("{:g}%", t.value("tolerance", 0.0) * 100.0);
    if (t.contains("answer_n_real_fresh") && t["answer_n_real_fresh"].is_number()) {
        const double fraction =
            t["answer_real_fraction"].is_number() ? t["answer_real_fraction"].get<double>() : NAN;
        out += fmt::format(
            "<strong>Answer:</strong> n_real_fresh = <strong>{}</strong> fresh real points per "
            "generation ({} real in the training set) keeps {} within {} of generation 0 at "
            "every generation, with 95% confidence (setting {}).",
            t["answer_n_real_fresh"].dump(),
            std::isfinite(fraction) ? fmt::format("{:.0f}%", fraction * 100.0) : "-",
            html_escape(metric), html_escape(tolerance),
            html_escape(t.value("setting", std::string())));
    } else if (t.value("status", std::string()) == "undecided") {
        out += fmt::format(
            "<strong>Undecided:</strong> with {} seeds the largest candidate's {} is within the "
            "seed noise of the tolerance ({}){}.",
            t.value("seeds", 0), html_escape(metric), html_escape(tolerance),
            t["seeds_needed"].is_number()
                ? fmt::format("; about {} seeds would resolve it", t["seeds_needed"].dump())
                : "; its mean degradation is at or beyond the tolerance: try larger "
                  "candidates");
    } else {
        out += fmt::format(
            "<strong>No candidate</strong> kept {} within {} of generation 0 at every "
            "generation; try larger threshold.candidates.",
            html_escape(metric), html_escape(tolerance));
    }
    if (t.value("non_monotone", false))
        out += " Some smaller candidate passed too, by luck (non-monotone).";
    out +=
        "</p>\n<table class=\"final\"><tr><th>n_real_fresh</th><th>real fraction</th>"
        "<th>result</th><th>first failing generation</th></tr>\n";
    for (const auto& c : t.at("candidates")) {
        const bool passes = c.value("passes", false);
        // pass, fail or inconclusive (threshold.json before "result" existed: pass or fail).
        const std::string result = c.value("result", std::string(passes ? "pass" : "fail"));
        const char* style = result == "pass"   ? "better"
                            : result == "fail" ? "worse"
                                               : "inconclusive";
        out += fmt::format(
            "<tr><td>{}</td><td>{}</td><td><span class=\"verdict {}\">{}</span></td><td>{}</td>"
            "</tr>\n",
            c.at("n_real_fresh").dump(),
            c["real_fraction"].is_number() ? format_number(c["real_fraction"].get<double>()) : "-",
            style, result, c["first_failure"].is_number() ? c["first_failure"].dump() : "-");
    }
    out += "</table>\n";
    if (t.contains("metrics") && t["metrics"].size() > 1) {
        // Different metrics need different amounts of real data: each one's own answer.
        out +=
            "<p class=\"caption\">Each analysed metric's own answer (the table above is the "
            "first's).</p>\n<table class=\"final\"><tr><th>metric</th><th>answer</th>"
            "<th>baseline noise (95% half-width)</th><th>allowed degradation</th></tr>\n";
        for (const auto& m : t["metrics"]) {
            const std::string status = m.value("status", std::string());
            std::string answer = "none of the candidates";
            if (status == "answer") answer = "n_real_fresh = " + m["answer_n_real_fresh"].dump();
            if (status == "undecided")
                answer = m["seeds_needed"].is_number()
                             ? "undecided: about " + m["seeds_needed"].dump() + " seeds needed"
                             : "undecided";
            const auto number = [&](const char* key) {
                return m.contains(key) && m[key].is_number() ? format_number(m[key].get<double>())
                                                             : std::string("-");
            };
            out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                               html_escape(metric_label(m.value("metric", std::string()))),
                               html_escape(answer), number("baseline_noise"),
                               number("allowed_degradation"));
        }
        out += "</table>\n";
    }
    return out;
}

std::string decompose_glance_html(const StudyFolder& folder) {
    const json& d = folder.analysis;
    const json& rows = d.at("generations_table");
    if (rows.empty()) return "";
    const json& last = rows.back();
    const auto share = [&](const char* key) {
        const json& v = last.value(key, json());
        return v.is_number() ? fmt::format("{:.0f}%", v.get<double>() * 100.0) : "-";
    };
    return fmt::format(
               "<p>At generation {}, the degradation of {} of {} from the reference ({} fitted on "
               "{} real points) is <strong>{} statistical</strong> (finite samples; {} at n = {}), "
               "<strong>{} functional</strong> (the family) and {} interaction.</p>\n",
               last.at("generation").dump(), html_escape(d.value("metric", std::string())),
               html_escape(d.value("total_model", std::string())),
               html_escape(d.value("well_specified_model", std::string())),
               d.value("large_n", json()).dump(), share("share_statistical"),
               html_escape(d.value("well_specified_model", std::string())),
               d.value("n", json()).dump(), share("share_functional"), share("share_interaction")) +
           fmt::format(
               "<p class=\"caption\">The settings below are the three variants, with the same "
               "seeds: <em>total</em> is {} at n = {}, <em>statistical</em> is {} at n = {}, "
               "<em>functional</em> is {} at n = {}.</p>\n",
               html_escape(d.value("total_model", std::string())), d.value("n", json()).dump(),
               html_escape(d.value("well_specified_model", std::string())),
               d.value("n", json()).dump(), html_escape(d.value("total_model", std::string())),
               d.value("large_n", json()).dump());
}

// The log switch above a chart with a log_spec: on at first, since its metrics span more than
// a decade.
std::string log_switch_html(const ReportView& v) {
    if (v.log_spec.is_null()) return "";
    std::string metrics;
    for (const auto& m : v.log_metrics) metrics += (metrics.empty() ? "" : ", ") + m;
    return fmt::format(
        "<label class=\"log-switch\"><input type=\"checkbox\" id=\"log-{}\" checked> log axis "
        "for {} (more than a decade apart)</label>\n",
        html_escape(v.id), html_escape(metrics));
}

std::string glance_html(const StudyFolder& folder, const ReportOptions& options) {
    const auto settings = trajectory_settings(folder);
    std::string metric = folder.analysis.is_object()
                             ? folder.analysis.value("metric", std::string())
                             : std::string();
    const auto headline = headline_metrics(folder.metrics, metric);
    const auto changes = final_changes(folder, settings, headline, options.findings);
    std::string out = "<section class=\"card\" id=\"glance\">\n<h2>At a glance</h2>\n";
    if (folder.kind == FolderKind::kThreshold) out += threshold_glance_html(folder);
    if (folder.kind == FolderKind::kDecompose) out += decompose_glance_html(folder);
    if (folder.kind != FolderKind::kThreshold) {
        out += fmt::format(
            "<p class=\"caption\">Each setting against its own generation 0 (trained on real "
            "data only), with the 95% interval of the change, paired seed by seed. A metric is "
            "<em>worse</em> or <em>better</em> when it moved by {0:.0f}% or more and the interval "
            "excludes zero; it <em>holds</em> when the interval excludes any change of {0:.0f}% "
            "or more; otherwise it is <em>inconclusive</em> (more seeds would decide). A setting "
            "holds when all its metrics hold.</p>\n",
            options.findings.material * 100.0);
        out += findings_html(folder, settings, changes, options.findings);
        out += final_table_html(folder, settings, headline, changes);
    }
    return out + "</section>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string script_json(const json& j) {
    const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '<') {
            out += "\\u003c";
        } else if (c == '>') {
            out += "\\u003e";
        } else if (c == '&') {
            out += "\\u0026";
        } else if (c == '\xe2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
                   (text[i + 2] == '\xa8' || text[i + 2] == '\xa9')) {
            out += text[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string view_sections_html(const std::vector<ReportView>& views) {
    std::string out;
    for (const auto& v : views)
        out += fmt::format(
            "<section class=\"card\" id=\"section-{0}\">\n<h2>{1}</h2>\n<p "
            "class=\"caption\">{2}</p>\n{3}<div class=\"chart\" id=\"view-{0}\"></div>\n"
            "</section>\n",
            html_escape(v.id), html_escape(v.title), html_escape(v.caption), log_switch_html(v));
    return out;
}

std::string report_page(const std::string& title, const std::string& body,
                        const std::vector<ReportView>& views) {
    // Datasets used by several charts (the summary) are stored once.
    json datasets = json::object();
    json view_list = json::array();
    for (const auto& v : views) {
        json spec = v.spec;
        json shared = json::array();
        if (spec.contains("datasets")) {
            json own = json::object();
            for (auto& [name, values] : spec["datasets"].items()) {
                if (!datasets.contains(name) || datasets[name] == values) {
                    datasets[name] = values;
                    shared.push_back(name);
                } else {
                    own[name] = values;
                }
            }
            spec["datasets"] = own;
        }
        json entry = {{"id", v.id}, {"spec", spec}, {"datasets", shared}};
        if (!v.log_spec.is_null()) {
            // The same data as the chart's: its datasets travel once, with the chart's.
            json log_spec = v.log_spec;
            log_spec["datasets"] = spec.value("datasets", json::object());
            entry["log_spec"] = log_spec;
            entry["log_metrics"] = v.log_metrics;
            entry["log_param"] = v.log_param;
        }
        view_list.push_back(entry);
    }
    const json data = {{"views", view_list}, {"datasets", datasets}};

    std::string out;
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out += "<title>" + html_escape(title) + " \u00b7 madlab report</title>\n";
    out += "<style>" + std::string(kStyle) + "</style>\n";
    for (const auto js : {report_assets::vega_js(), report_assets::vega_lite_js(),
                          report_assets::vega_embed_js()}) {
        out += "<script>";
        out += js;
        out += "</script>\n";
    }
    out += "</head>\n<body>\n<main>\n";
    out += body;
    out += "</main>\n<script type=\"application/json\" id=\"madlab-data\">" + script_json(data) +
           "</script>\n";
    out += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
    return out;
}

std::string render_report(const StudyFolder& folder, const ReportOptions& options) {
    const auto views = report_views(folder, options);
    const std::string text_samples = text_samples_html(folder, options.max_lines);
    const std::string image_samples = image_samples_html(folder, options.max_images);
    std::string body = header_html(folder, views, !text_samples.empty(), !image_samples.empty());
    body += glance_html(folder, options);
    body += view_sections_html(views);
    body += text_samples;
    body += image_samples;
    body += fmt::format(
        "<footer>Made by madlab {} from {}. Charts: Vega-Lite (<span id=\"js-versions\"></span>), "
        "inlined: the page loads nothing from the network. Use the \u22ef menu of a chart to "
        "save it as SVG or PNG, or <code>madlab report DIR --figures FIGDIR</code> for all of "
        "them.</footer>\n",
        html_escape(folder.madlab_version.empty() ? MADLAB_VERSION : folder.madlab_version),
        html_escape(folder.dir));
    return report_page(folder.study_name(), body, views);
}

void write_report(const StudyFolder& folder, const std::string& path,
                  const ReportOptions& options) {
    write_file_atomically(path, render_report(folder, options));
}

std::string write_report(const std::string& dir, const ReportOptions& options) {
    const RunFolder folder(dir);
    const std::string path = folder.report_path();
    write_report(folder.read(), path, options);
    return path;
}

}  // namespace madlab
