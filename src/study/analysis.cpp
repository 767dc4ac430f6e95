#include "madlab/study/analysis.h"

#include <fmt/core.h>

#include <limits>

#include "madlab/core/error.h"
#include "madlab/core/statistics.h"
#include "madlab/study/analysis_output.h"
#include "madlab/study/resolved_config.h"

namespace madlab {

const std::vector<AnalysisMetric>& analysis_metrics() {
    static const std::vector<AnalysisMetric> metrics = {
        {"frechet", "frechet", true},
        {"nll", "nll", true},
        {"mean_sq_err", "gaussian_drift", true},
        {"precision", "prdc", false},
        {"recall", "prdc", false},
        {"density", "prdc", false},
        {"coverage", "prdc", false},
        {"test_error", "regression", true},
        {"test_mse", "regression", true},
        {"lost_mass", "categorical", true},
        {"fit_lost_mass", "categorical", true},
        {"tv", "categorical", true},
        {"categories_kept", "categorical", false},
    };
    return metrics;
}

const AnalysisMetric* find_analysis_metric(const std::string& name) {
    for (const auto& m : analysis_metrics())
        if (m.name == name) return &m;
    return nullptr;
}

std::vector<std::string> analysis_metric_names() {
    std::vector<std::string> names;
    for (const auto& m : analysis_metrics()) names.push_back(m.name);
    return names;
}

const Setting& analysis_setting(const StudyConfig& study, const std::string& name,
                                const std::string& key) {
    if (study.settings.empty())
        throw ConfigError(fmt::format("{}: the study has no settings", study.file));
    if (name.empty()) return study.settings.front();
    std::vector<std::string> names;
    for (const auto& s : study.settings) {
        if (s.name == name) return s;
        names.push_back("\"" + s.name + "\"");
    }
    const FlatEntry* entry = study.analysis.find(key);
    throw ConfigError(fmt::format("{}: {} = \"{}\" is not a setting of the study; use one of: {}",
                                  entry ? entry->where() : study.file, key, name, join(names)));
}

void check_metric_applies(const AnalysisMetric& metric, const ChainConfig& config,
                          const std::string& key) {
    if (metric.group == "regression" && config.model.family != "linear-regression")
        throw ConfigError(
            fmt::format("{} = \"{}\" needs model.family = \"linear-regression\" (it has \"{}\")",
                        key, metric.name, config.model.family));
    if (metric.group == "categorical" && config.source.kind != "categorical" &&
        config.source.kind != "zipf" && config.source.kind != "words" &&
        config.model.family != "categorical")
        throw ConfigError(fmt::format(
            "{} = \"{}\" scores categories: it needs a categorical source (source.kind = "
            "\"categorical\", \"zipf\" or \"words\") or model.family = \"categorical\"",
            key, metric.name));
    if (metric.name == "fit_lost_mass" && config.model.family != "categorical")
        throw ConfigError(fmt::format(
            "{} = \"fit_lost_mass\" needs model.family = \"categorical\" (the fit before top_k); "
            "use lost_mass",
            key));
    if (metric.name == "test_error" && config.source.kind != "linear-regression")
        throw ConfigError(fmt::format(
            "{} = \"test_error\" needs source.kind = \"linear-regression\" (the true weights); "
            "use test_mse for regression data from a file",
            key));
    if (metric.group == "gaussian_drift" &&
        (config.source.kind != "gaussian" || config.model.family != "gaussian"))
        throw ConfigError(fmt::format(
            "{} = \"{}\" needs a Gaussian model on a Gaussian source (model.family = \"{}\", "
            "source.kind = \"{}\"); use frechet, nll or a prdc metric",
            key, metric.name, config.model.family, config.source.kind));
}

FlatConfig analysis_section(const StudyConfig& study, const std::string& prefix) {
    FlatConfig out;
    for (const auto& [key, entry] : study.analysis.entries())
        if (key.rfind(prefix, 0) == 0) out.set(key, entry);
    return out;
}

Estimate estimate(const std::vector<double>& values) {
    Estimate e;
    e.count = values.size();
    if (values.empty()) {
        e.mean = e.ci95_low = e.ci95_high = std::numeric_limits<double>::quiet_NaN();
        return e;
    }
    e.mean = sample_mean(values);
    const double half = ci95_half_width(sample_std(values, e.mean), values.size());
    e.ci95_low = e.mean - half;
    e.ci95_high = e.mean + half;
    return e;
}

nlohmann::json to_json(const Estimate& e) {
    return {{"count", e.count},
            {"mean", json_number(e.mean)},
            {"ci95_low", json_number(e.ci95_low)},
            {"ci95_high", json_number(e.ci95_high)}};
}

std::string study_where(const StudyConfig& study) {
    return study.file.empty() ? "the study" : study.file;
}

AnalysisTarget read_analysis_target(KeyReader& r, const StudyConfig& study, const std::string& name,
                                    const std::string& metric) {
    AnalysisTarget target;
    target.setting_name = r.get_string(name + ".setting", "");
    target.setting = &analysis_setting(study, target.setting_name, name + ".setting");
    target.metric =
        find_analysis_metric(r.get_string(name + ".metric", metric, analysis_metric_names()));
    return target;
}

AnalysisTarget analysis_target(const StudyConfig& study, const std::string& name,
                               const std::string& setting, const std::string& metric) {
    AnalysisTarget target;
    target.setting_name = setting;
    target.setting = &analysis_setting(study, setting, name + ".setting");
    target.metric = find_analysis_metric(metric);
    if (!target.metric)
        throw ConfigError(fmt::format("{}.metric: unknown metric '{}'", name, metric));
    return target;
}

StudyOutput run_analysis(Analysis& analysis, const StudyConfig& study, const RunOptions& run) {
    analysis.read_options(study);
    StudyOutput output = analysis.run(study, run);
    output.analysis = analysis.name();
    output.config = to_json(study);
    return output;
}

Reporters analysis_file_reporters(const RunFolder& folder) {
    Reporters reporters;
    reporters.push_back(std::make_unique<JsonReporter>(folder));
    reporters.push_back(std::make_unique<CsvReporter>(folder));
    return reporters;
}

}  // namespace madlab
