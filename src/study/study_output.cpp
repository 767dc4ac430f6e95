#include "madlab/study/study_output.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "madlab/study/resolved_config.h"

namespace madlab {

StudyOutput study_output(const StudyConfig& study, StudyResult result, const std::string& db_path) {
    StudyOutput out;
    out.config = to_json(study);
    out.config_toml = to_toml(study);
    out.text = format_summary_table(study, result.summary);
    out.records = std::move(result.records);
    out.summary = std::move(result.summary);
    out.samples = std::move(result.samples);
    out.db_path = db_path;
    out.seconds = result.seconds;
    return out;
}

Reporters study_file_reporters(const RunFolder& folder) {
    Reporters reporters;
    reporters.push_back(std::make_unique<CsvReporter>(folder));
    reporters.push_back(std::make_unique<JsonReporter>(folder));
    reporters.push_back(std::make_unique<TomlReporter>(folder));
    return reporters;
}

void write_study_outputs(const std::string& dir, const StudyConfig& study,
                         const StudyResult& result) {
    report_all(study_file_reporters(RunFolder(dir)), study_output(study, result));
}

std::string format_summary_table(const StudyConfig& study, const std::vector<SummaryRow>& rows) {
    std::set<int> generations;
    for (int g : {0, 1, 5, 10, study.generations})
        if (g <= study.generations) generations.insert(g);
    std::vector<std::string> present;
    for (const auto& r : rows)
        if (std::find(present.begin(), present.end(), r.metric) == present.end())
            present.push_back(r.metric);
    std::vector<std::string> shown;
    const auto has = [&](const std::string& m) {
        return std::find(present.begin(), present.end(), m) != present.end();
    };
    // Text: the fixed-vocabulary perplexity in place of KenLM's when the family has it (KenLM's
    // can fall while a model loses words; metrics/fixed_vocabulary_perplexity.h).
    const char* perplexity =
        has("perplexity_fixed_vocab") ? "perplexity_fixed_vocab" : "perplexity";
    for (const char* m : {"precision", "recall", "coverage", "frechet", perplexity, "lost_mass",
                          "distinct_2", "unigram_entropy"})
        if (has(m)) shown.push_back(m);
    if (shown.empty())
        for (const auto& m : present)
            if (shown.size() < 4 && m != "train_size" && m != "real_fraction") shown.push_back(m);

    std::map<std::tuple<std::string, int, std::string>, const SummaryRow*> index;
    for (const auto& r : rows) index[{r.setting, r.generation, r.metric}] = &r;

    std::string out = fmt::format("{}: {} seeds, generations 0..{}; mean [95% interval]\n",
                                  study.name, study.seeds, study.generations);
    if (!study.description.empty()) out += study.description + "\n";
    constexpr int kColumn = 26;
    for (const auto& setting : study.settings) {
        out += fmt::format("\n{}\n  {:>4}", setting.name, "gen");
        for (const auto& m : shown) out += fmt::format("  {:<{}}", m, kColumn);
        out += "\n";
        for (int g : generations) {
            out += fmt::format("  {:>4}", g);
            for (const auto& m : shown) {
                auto it = index.find({setting.name, g, m});
                std::string cell = "-";
                if (it != index.end()) {
                    const SummaryRow& r = *it->second;
                    cell = fmt::format("{:.4g} [{:.4g}, {:.4g}]", r.mean, r.ci95_low, r.ci95_high);
                }
                out += fmt::format("  {:<{}}", cell, kColumn);
            }
            out += "\n";
        }
    }
    return out;
}

}  // namespace madlab
