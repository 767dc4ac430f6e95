#pragma once
// Several studies on one page (`madlab report DIR_A DIR_B ...`): did a change of model, data or
// schedule matter? Each metric the studies share drawn once, every study's settings in it,
// coloured by study, and a table of their last generations.

#include <string>
#include <vector>

#include "madlab/report/charts.h"
#include "madlab/store/folder_contents.h"

namespace madlab {

// The metrics every one of `studies` recorded, bookkeeping left out (metric_catalog.h), in the
// first study's order.
std::vector<std::string> common_metrics(const std::vector<StudyFolder>& studies);

// Each study's name on the page: its study name, with " (2)", " (3)"... after a name that an
// earlier study has.
std::vector<std::string> study_labels(const std::vector<StudyFolder>& studies);

// The comparison chart: per common metric (headline ones first, metric_catalog.h) a panel with
// every study's settings over generations (mean over seeds and 95% band, clipped to the
// metric's domain), colour by study, dash by setting. Data in datasets.compare, one row per
// (study, setting, generation, metric).
ReportView comparison_view(const std::vector<StudyFolder>& studies);

// The page. Throws DataError when the studies share no metric, naming them.
std::string render_comparison(const std::vector<StudyFolder>& studies);

}  // namespace madlab
