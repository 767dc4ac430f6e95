#pragma once
// The report's charts as Vega-Lite specs (https://vega.github.io/vega-lite/), built from a study
// folder. Every spec holds its data in a top-level `datasets` object (data by name), so the
// page can store a dataset that several charts use once.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "madlab/report/findings.h"
#include "madlab/report/study_folder.h"

namespace madlab {

struct ReportView {
    std::string id;       // the chart's HTML id and figure file name: "headline", "qd-plane"...
    std::string title;    // heading above the chart
    std::string caption;  // plain text: what the chart shows and how to read it
    nlohmann::json spec;  // Vega-Lite
    // The log switch (metrics that span more than a decade): the same chart with a log y axis,
    // drawn for the metrics of `log_metrics` while the page's switch is on; `log_param` names
    // the chart's metric selector ("" when the chart shows one metric). Null: no switch.
    nlohmann::json log_spec;
    std::vector<std::string> log_metrics;
    std::string log_param;
};

struct ReportOptions {
    std::size_t max_points = 600;  // points per (setting, generation, kind) in the sample grid
    std::size_t max_lines = 6;     // text sample lines shown per generation
    std::size_t max_images = 12;   // image samples shown per generation
    FindingOptions findings;
};

// The settings drawn as trajectories: for a threshold folder its candidates ("candidate
// n_real_fresh=..." settings, by n_real_fresh); otherwise every setting with more than one
// generation, in summary order.
std::vector<std::string> trajectory_settings(const StudyFolder& folder);

// The page's charts, in page order: headline metrics (small multiples), the metric explorer
// (metric and setting selectors bound to HTML inputs), the quality-diversity plane (when
// precision and recall were recorded), the sample grid (2-D or 1-D samples in samples.json),
// and for analyses the threshold, effective-sample-size or decomposition charts.
std::vector<ReportView> report_views(const StudyFolder& folder, const ReportOptions& options);

// The same charts for papers (`madlab report --figures`): no HTML inputs, so the explorer is
// replaced by one chart per recorded metric ("metric-<name>").
std::vector<ReportView> figure_views(const StudyFolder& folder, const ReportOptions& options);

// Below this many seeds the 95% band of a mean says little: Student's t at 97.5% is 12.7 for 2
// seeds, 4.30 for 3, 2.78 for 5 and 2.26 for 10, so with fewer than 5 seeds the band is at least
// 2.78 / 1.96 = 1.4 times as wide as with many, on top of an unreliable standard deviation.
inline constexpr std::size_t kMinSeedsForBand = 5;

// What the captions say when the settings of `settings` have fewer than kMinSeedsForBand seeds
// (the fewest of any summary row): that the band is too wide to mean much, with its t factor,
// or that one seed has none; "" with enough seeds.
std::string few_seeds_note(const StudyFolder& folder, const std::vector<std::string>& settings);

// The metrics of `metrics` that suit a log axis (metric_catalog.h's log_axis_allowed) and whose
// means over the settings of `settings` span more than a decade (largest over smallest positive
// mean above 10).
std::vector<std::string> decade_spanning_metrics(const StudyFolder& folder,
                                                 const std::vector<std::string>& settings,
                                                 const std::vector<std::string>& metrics);

// A trajectory chart (the explorer, a figure's metric) with a log y axis: rows whose mean is not
// above 0 left out, and a band whose low end is not above 0 drawn from its mean up.
nlohmann::json with_log_axis(nlohmann::json spec);

// The colours of the settings, in `settings` order (Vega's tableau10, then tableau20's lighter
// shades, repeated past 20); every chart uses the same mapping.
std::vector<std::string> setting_colors(std::size_t count);

}  // namespace madlab
