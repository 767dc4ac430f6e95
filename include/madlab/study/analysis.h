#pragma once
// What the analyses (`madlab threshold`, `madlab decompose`) share: the metrics they can be
// asked about, the analysed setting, the keys every [<name>] section starts with, estimates over
// seeds, and one driver. An analysis reads its section, runs its variants of the study and
// serialises its result; the driver (run_analysis) and the reporters (store/reporter.h) do the
// rest the same way for both: the same files (DIR/<name>.json, DIR/records.csv), the same
// terminal lines, the same page.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "madlab/store/reporter.h"
#include "madlab/study/key_reader.h"
#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab {

// A metric an analysis can be asked about: its records name, the metrics.list entry that
// computes it, and its direction.
struct AnalysisMetric {
    std::string name;   // "frechet", "precision", ...
    std::string group;  // the metrics.list entry: "frechet", "prdc", "nll", "gaussian_drift"
    bool lower_is_better = true;
};

// frechet, nll, mean_sq_err, test_error, test_mse, lost_mass, fit_lost_mass, tv (lower is
// better); precision, recall, density, coverage, categories_kept (higher).
const std::vector<AnalysisMetric>& analysis_metrics();
// The metric named `name`, or nullptr.
const AnalysisMetric* find_analysis_metric(const std::string& name);

// The names of analysis_metrics(), for messages and KeyReader's allowed lists.
std::vector<std::string> analysis_metric_names();

// The setting an analysis runs: the one named `name`, or the first setting when `name` is
// empty. Throws ConfigError (naming `key` and listing the settings) for an unknown name.
const Setting& analysis_setting(const StudyConfig& study, const std::string& name,
                                const std::string& key);

// Throws ConfigError when `metric` cannot be computed for `config` (gaussian_drift's
// mean_sq_err needs a Gaussian model on a Gaussian source, the regression metrics the
// linear-regression family, test_error its source). `key` names the config key.
void check_metric_applies(const AnalysisMetric& metric, const ChainConfig& config,
                          const std::string& key);

// The section `prefix` ("threshold." or "decompose.") of study.analysis.
FlatConfig analysis_section(const StudyConfig& study, const std::string& prefix);

// Mean and 95% interval of a sample (Student t with n - 1 degrees of freedom, as summarize();
// one value: the interval is the value; no values: NaN).
struct Estimate {
    std::size_t count = 0;
    double mean = 0.0;
    double ci95_low = 0.0;
    double ci95_high = 0.0;
};
Estimate estimate(const std::vector<double>& values);
nlohmann::json to_json(const Estimate& e);

// The study's file for messages, or "the study" for a config without one.
std::string study_where(const StudyConfig& study);

// The analysed setting and metric, named by <name>.setting and <name>.metric.
struct AnalysisTarget {
    std::string setting_name;  // as configured: "" = the first setting
    const Setting* setting = nullptr;
    const AnalysisMetric* metric = nullptr;
};

// Reads <name>.setting and <name>.metric (default `metric`) from `r`, a reader over
// analysis_section(study, "<name>."); throws ConfigError naming the key for an unknown setting
// or metric.
AnalysisTarget read_analysis_target(KeyReader& r, const StudyConfig& study, const std::string& name,
                                    const std::string& metric);

// The same for options read earlier: throws ConfigError for an unknown setting or metric.
AnalysisTarget analysis_target(const StudyConfig& study, const std::string& name,
                               const std::string& setting, const std::string& metric);

// One analysis. The interface has two steps, not one, so that a bad section fails before any
// chain runs; the analysis keeps its options between them. run() returns its result already
// serialised (the body of DIR/<name>.json, the terminal report and what --quiet keeps of it, the
// records, the wall time) because that is all the driver and the reporters need: they do not
// know the analysis' result type.
class Analysis {
public:
    virtual ~Analysis() = default;
    // "threshold", "decompose": the config section [name], the file DIR/<name>.json and the
    // command's default folder madlab-results/<study name>-<name>.
    virtual std::string name() const = 0;
    // Reads and validates the section (throws ConfigError naming the file, line and key).
    virtual void read_options(const StudyConfig& study) = 0;
    // Runs the analysis with the options read; fills analysis_body, text, quiet_text, records
    // and seconds of the output.
    virtual StudyOutput run(const StudyConfig& study, const RunOptions& run) const = 0;
};

// The output of an analysis' result for its run(): its JSON body and terminal report (through
// `to_json` and `format`), its records (moved) and wall time.
template <class Result>
StudyOutput analysis_output(Result result, nlohmann::json (*to_json)(const Result&),
                            std::string (*format)(const Result&)) {
    StudyOutput output;
    output.analysis_body = to_json(result);
    output.text = format(result);
    output.records = std::move(result.records);
    output.seconds = result.seconds;
    return output;
}

// The driver: reads the analysis' options, runs it and returns its output for the reporters,
// with the analysis' name and the config set.
StudyOutput run_analysis(Analysis& analysis, const StudyConfig& study, const RunOptions& run);

// The reporters of an analysis' files in DIR, in the order they are written: DIR/<name>.json,
// DIR/records.csv.
Reporters analysis_file_reporters(const RunFolder& folder);

}  // namespace madlab
