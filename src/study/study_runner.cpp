#include "madlab/study/study_runner.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "madlab/core/error.h"
#include "madlab/core/parallel.h"
#include "madlab/core/progress.h"
#include "madlab/loop/chain.h"
#include "madlab/store/atomic_file.h"
#include "madlab/store/record_files.h"
#include "madlab/study/factory.h"
#include "madlab/study/resolved_config.h"

namespace madlab {

namespace {

// What the chains of one setting share: the source, the unfitted model and the metrics. All
// are used read-only by the chains.
struct SettingParts {
    std::unique_ptr<RealSource> source;
    std::unique_ptr<ContinuousModel> prototype;
    std::vector<std::unique_ptr<Metric>> metrics;
};

}  // namespace

StudyResult run_study(const StudyConfig& study, const RunOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    const int threads = resolve_threads(options.threads >= 0 ? options.threads : study.threads);
    const std::size_t seeds = static_cast<std::size_t>(study.seeds);
    const std::size_t chains = study.settings.size() * seeds;

    std::vector<SettingParts> parts;
    for (const auto& setting : study.settings) {
        SettingParts p;
        p.source = make_source(setting.config.source);
        p.prototype = make_model(setting.config.model);
        // With one chain the metrics may use every core; otherwise chains fill the cores.
        p.metrics = make_metrics(setting.config.metrics, chains == 1 ? threads : 1);
        parts.push_back(std::move(p));
    }

    std::vector<std::vector<Record>> per_chain(chains);
    Progress progress(chains * static_cast<std::size_t>(study.generations + 1), study.name,
                      options.progress);
    parallel_for(chains, threads, [&](std::size_t index) {
        const std::size_t s = index / seeds;
        const Setting& setting = study.settings[s];
        const std::uint64_t seed = study.first_seed + index % seeds;
        ChainSpec spec;
        spec.source = parts[s].source.get();
        spec.prototype = parts[s].prototype.get();
        for (const auto& m : parts[s].metrics) spec.metrics.push_back(m.get());
        spec.schedule = setting.config.schedule;
        spec.bias = setting.config.model.bias;
        spec.generations = study.generations;
        spec.n_eval = setting.config.metrics.n_eval;
        spec.n_test = setting.config.metrics.n_test;
        spec.seed = seed;
        Chain chain(spec);
        auto& out = per_chain[index];
        while (!chain.done()) {
            const GenerationResult g = chain.step();
            for (const auto& [metric, value] : g.values)
                out.push_back(Record{setting.name, seed, g.generation, metric, value});
            if (setting.config.model.family == "gmm")
                out.push_back(Record{setting.name, seed, g.generation, "fit_converged",
                                     g.fit.converged ? 1.0 : 0.0});
            progress.advance();
        }
    });
    progress.finish();

    StudyResult result;
    for (auto& chain_records : per_chain)
        result.records.insert(result.records.end(), std::make_move_iterator(chain_records.begin()),
                              std::make_move_iterator(chain_records.end()));
    result.summary = summarize(result.records);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

void write_study_outputs(const std::string& dir, const StudyConfig& study,
                         const StudyResult& result) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(fmt::format("cannot create output folder '{}': {}", dir, ec.message()));
    write_file_atomically(dir + "/records.csv", records_to_csv(result.records));
    nlohmann::json summary;
    summary["madlab_version"] = MADLAB_VERSION;
    summary["config"] = to_json(study);
    summary["run_seconds"] = result.seconds;
    summary["summary"] = summary_to_json(result.summary);
    write_file_atomically(dir + "/summary.json", summary.dump(1) + "\n");
    write_file_atomically(dir + "/config.toml", to_toml(study));
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
    for (const char* m : {"precision", "recall", "coverage", "frechet"})
        if (std::find(present.begin(), present.end(), m) != present.end()) shown.push_back(m);
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
