#pragma once
// The HTML report: one self-contained page (DIR/report.html) with the study's question, its
// resolved config, the verdicts per setting, a table of final values and the charts of
// charts.h, drawn by vega, vega-lite and vega-embed inlined into the page: it opens offline in
// any browser and requests nothing.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "madlab/report/charts.h"
#include "madlab/report/study_folder.h"

namespace madlab {

// `text` with & < > " ' as character references: safe in HTML text and attribute values.
std::string html_escape(std::string_view text);

// `j` as JSON text that is safe inside a <script> element: <, >, & and the line separators
// U+2028 and U+2029 are written as \u escapes, so no string can close the element.
std::string script_json(const nlohmann::json& j);

// The sections of `views`: per chart its title, caption, log switch and the element vega draws
// it in.
std::string view_sections_html(const std::vector<ReportView>& views);

// A whole page: `body` (HTML, inside <main>) with the style, the inlined vega libraries and the
// script that draws `views` into their sections (view_sections_html), their datasets stored
// once. `title` is escaped.
std::string report_page(const std::string& title, const std::string& body,
                        const std::vector<ReportView>& views);

// The whole page for `folder`.
std::string render_report(const StudyFolder& folder, const ReportOptions& options = {});

// Writes the page for `folder` atomically to `path`.
void write_report(const StudyFolder& folder, const std::string& path,
                  const ReportOptions& options = {});

// Reads DIR and writes DIR/report.html; returns its path. Throws DataError (see
// read_study_folder) for a folder it cannot read. What `madlab run`, `threshold` and
// `decompose` call at their end.
std::string write_report(const std::string& dir, const ReportOptions& options = {});

}  // namespace madlab
