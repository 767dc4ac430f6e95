#include "madlab/study/study_runner.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "madlab/core/error.h"
#include "madlab/core/parallel.h"
#include "madlab/core/progress.h"
#include "madlab/data/categorical_source.h"
#include "madlab/data/file_source.h"
#include "madlab/data/image_source.h"
#include "madlab/data/text_reader.h"
#include "madlab/loop/chain.h"
#include "madlab/store/generation_writer.h"
#include "madlab/study/chain_dispatcher.h"
#include "madlab/study/factory.h"
#include "madlab/study/memory_estimate.h"
#include "madlab/study/resolved_config.h"

namespace madlab {

namespace {

// What the chains of one setting share: the source, the unfitted model and the metrics. All
// are used read-only by the chains.
struct SettingParts {
    // Text studies: the corpus, the language model and the text metrics.
    std::unique_ptr<TextSource> text;
    std::unique_ptr<TextModel> text_prototype;
    std::vector<std::unique_ptr<TextMetric>> text_metrics;
    // Vectors and images.
    std::shared_ptr<RealSource> source;
    std::unique_ptr<ContinuousModel> prototype;
    std::vector<std::unique_ptr<Metric>> metrics;
    std::shared_ptr<const Pca> pca;              // image sources: PCA of the real training pool
    std::shared_ptr<const FeatureMap> features;  // image sources: LeNet features, or null
    std::vector<std::size_t> image_shape;        // image sources: {height, width}

    bool needs_work_dir() const {
        return (prototype && prototype->needs_work_dir()) ||
               (text_prototype && text_prototype->needs_work_dir());
    }
};

// The fields of a chain's spec that every kind of data shares.
template <class Data>
ChainSpecOf<Data> chain_spec(const StudyConfig& study, const Setting& setting, std::uint64_t seed,
                             const std::string& work_dir) {
    ChainSpecOf<Data> spec;
    spec.schedule = setting.config.schedule;
    spec.bias = setting.config.model.bias;
    spec.generations = study.generations;
    spec.n_eval = setting.config.metrics.n_eval;
    spec.n_test = setting.config.metrics.n_test;
    spec.seed = seed;
    spec.setting = setting.name;
    spec.work_dir = work_dir;
    return spec;
}

// The root of the folders of a setting's models: model.work_dir (the key of families that keep
// files), else <output>/models (shared by every family that keeps files).
std::string models_work_dir(const Setting& setting, const RunOptions& options) {
    const Params& params = setting.config.model.params;
    if (params.has("work_dir") && !params.get_string("work_dir").empty())
        return params.get_string("work_dir");
    if (options.work_dir.empty()) return "";
    // Runs of madlab 0.1 kept them in <output>/external: a resumed old run finds them there.
    const std::string old_root = options.work_dir + "/external";
    const std::string root = options.work_dir + "/models";
    if (!std::filesystem::exists(root) && std::filesystem::is_directory(old_root)) return old_root;
    return root;
}

// The first `rows` rows of a matrix as a sample set.
SampleSet point_samples(const std::string& kind, const Matrix& x, std::size_t rows) {
    SampleSet set;
    set.kind = kind;
    set.columns = static_cast<std::size_t>(x.cols());
    rows = std::min(rows, static_cast<std::size_t>(x.rows()));
    for (std::size_t r = 0; r < rows; ++r)
        for (Eigen::Index c = 0; c < x.cols(); ++c)
            set.values.push_back(x(static_cast<Eigen::Index>(r), c));
    return set;
}

// The first `lines` lines of a corpus as text.
SampleSet line_samples(const std::string& kind, const Corpus& corpus, std::size_t lines,
                       TextOptions::Tokens tokens) {
    SampleSet set;
    set.kind = kind;
    for (std::size_t i = 0; i < std::min(lines, corpus.lines()); ++i)
        set.lines.push_back(detokenize(corpus.line(i), *corpus.vocabulary, tokens));
    return set;
}

// The samples generation `generation` of a chain keeps: the model's, and the real test data at
// generation 0. Images keep their shape, and their pixels are rounded to 1/1000: they are only
// drawn, and the rounding divides the size of samples.json by about three.
std::vector<SampleSet> kept_samples(const StudyConfig& study, const Chain& chain, int generation,
                                    const std::vector<std::size_t>& image_shape) {
    if (study.sample_points == 0) return {};
    std::vector<SampleSet> out{point_samples("model", chain.last_samples(), study.sample_points)};
    if (generation == 0)
        out.push_back(point_samples("real", chain.test_set(), study.sample_points));
    if (!image_shape.empty()) {
        for (auto& set : out) {
            set.shape = image_shape;
            for (double& v : set.values) v = std::round(v * 1000.0) / 1000.0;
        }
    }
    return out;
}

std::vector<SampleSet> kept_samples(const StudyConfig& study, const TextChain& chain,
                                    int generation, TextOptions::Tokens tokens) {
    if (study.sample_lines == 0) return {};
    std::vector<SampleSet> out{
        line_samples("model", chain.last_samples(), study.sample_lines, tokens)};
    if (generation == 0)
        out.push_back(line_samples("real", chain.test_set(), study.sample_lines, tokens));
    return out;
}

}  // namespace

bool keeps_samples(const StudyConfig& study, bool text, int generation) {
    if (study.sample_generations.empty())
        return text || generation == 0 || generation == 1 || generation == 5 || generation == 10 ||
               generation == study.generations;
    for (int g : study.sample_generations)
        if (g == generation || (g == -1 && generation == study.generations)) return true;
    return false;
}

std::vector<std::string> check_study_inputs(const StudyConfig& study, int threads) {
    check_memory(study, threads, available_memory_bytes());
    std::vector<std::string> warnings;
    for (const auto& setting : study.settings) {
        const ChainConfig& c = setting.config;
        if (c.source.kind == "text") {
            const auto text = make_text_source(c.source);
            const std::size_t largest =
                std::max(c.schedule.n_real_initial, c.schedule.n_real_fresh);
            if (largest > text->train_lines())
                throw DataError(fmt::format(
                    "{} has {} training lines, but setting '{}' draws {} real lines at once; "
                    "lower schedule.n / n_real_initial / n_real_fresh",
                    text->describe(), text->train_lines(), setting.name, largest));
            if (text->test_lines() == 0)
                throw DataError(
                    fmt::format("{} holds out no lines; set source.held_out_every "
                                ">= 2 or source.test_fraction",
                                text->describe()));
            continue;
        }
        const auto source = make_source(c.source);
        // Full covariances in more dimensions than training points: singular fits, and an
        // eigen-decomposition of a d x d matrix for every fit (minutes at d = 3000).
        const bool full_covariance = c.model.family == "gaussian" || c.model.family == "gmm";
        if (full_covariance && c.model.pca_components == 0 &&
            source->dim() >= c.schedule.n_real_initial && source->dim() >= 500)
            warnings.push_back(fmt::format(
                "setting '{}': the {} family fits full {} x {} covariances to {} points "
                "(schedule.n_real_initial): each is singular, and each fit decomposes a {} x {} "
                "matrix, which takes long; use fewer columns or more points",
                setting.name, c.model.family, source->dim(), source->dim(),
                c.schedule.n_real_initial, source->dim(), source->dim()));
        const auto* file = dynamic_cast<const FileSource*>(source.get());
        if (const auto* images = dynamic_cast<const ImageSource*>(source.get()))
            file = &images->file();
        if (file == nullptr) continue;
        const std::size_t largest_draw =
            std::max(c.schedule.n_real_initial, c.schedule.n_real_fresh);
        if (largest_draw > file->n_train())
            throw DataError(fmt::format(
                "{} has {} training rows after holding out {} for testing, but setting '{}' "
                "draws {} real rows at once; lower schedule.n / n_real_initial / n_real_fresh or "
                "source.test_fraction",
                c.source.path, file->n_train(), file->n_test(), setting.name, largest_draw));
        if (c.metrics.n_test > file->n_test())
            throw DataError(fmt::format(
                "{} holds out {} rows for testing, but setting '{}' asks for metrics.n_test = {}; "
                "lower metrics.n_test (or metrics.n_eval) or raise source.test_fraction",
                c.source.path, file->n_test(), setting.name, c.metrics.n_test));
    }
    return warnings;
}

namespace {

// The values of the parameter columns `keys` in a setting's resolved config (to_json, nested by
// section) as JSON text; "null" for a key the setting's source kind or model family lacks.
std::vector<std::pair<std::string, std::string>> parameter_values(
    const std::vector<std::string>& keys, const nlohmann::json& config) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& key : keys) {
        const std::size_t dot = key.find('.');
        const auto section = config.find(key.substr(0, dot));
        std::string value = "null";
        if (dot != std::string::npos && section != config.end())
            if (const auto it = section->find(key.substr(dot + 1)); it != section->end())
                value = it->dump();
        out.emplace_back(key, std::move(value));
    }
    return out;
}

}  // namespace

StudyIds register_study(ResultsDb& db, const StudyConfig& study,
                        const std::function<void(const StudyIds&)>& before_commit) {
    StudyRow row;
    row.name = study.name;
    row.config_toml = to_toml(study);
    row.config_json = to_json(study).dump();
    row.madlab_version = MADLAB_VERSION;
    row.status = "running";
    StudyIds ids;
    db.in_transaction([&] {
        ids.study_id = db.add_study(row);
        for (std::size_t s = 0; s < study.settings.size(); ++s) {
            SettingRow setting;
            setting.study_id = ids.study_id;
            setting.position = static_cast<int>(s);
            setting.name = study.settings[s].name;
            setting.label =
                study.settings[s].label.empty() ? setting.name : study.settings[s].label;
            const nlohmann::json config = to_json(study.settings[s].config);
            setting.params_json = config.dump();
            setting.parameters = parameter_values(study.parameters, config);
            const std::int64_t setting_id = db.add_setting(setting);
            std::vector<std::int64_t> chains;
            for (int i = 0; i < study.seeds; ++i)
                chains.push_back(db.add_chain(setting_id, study.first_seed + i));
            ids.chain_ids.push_back(std::move(chains));
        }
        if (before_commit) before_commit(ids);
    });
    return ids;
}

StudyIds find_study(const ResultsDb& db, std::int64_t study_id, const StudyConfig& study) {
    StudyIds ids;
    ids.study_id = study_id;
    const auto settings = db.settings(study_id);
    if (settings.size() != study.settings.size())
        throw Error(fmt::format("study {} in '{}' has {} settings but its config has {}", study_id,
                                db.path(), settings.size(), study.settings.size()));
    for (std::size_t s = 0; s < settings.size(); ++s) {
        if (settings[s].name != study.settings[s].name)
            throw Error(
                fmt::format("study {} in '{}': setting {} is '{}' in the database but "
                            "'{}' in the config",
                            study_id, db.path(), s, settings[s].name, study.settings[s].name));
        const auto chains = db.chains(settings[s].id);
        std::vector<std::int64_t> chain_ids(study.seeds, 0);
        for (const auto& chain : chains) {
            const std::uint64_t index = chain.seed - study.first_seed;
            if (chain.seed < study.first_seed || index >= chain_ids.size())
                throw Error(
                    fmt::format("study {} in '{}' has a chain with seed {} outside the "
                                "config's seeds",
                                study_id, db.path(), chain.seed));
            chain_ids[index] = chain.id;
        }
        for (auto id : chain_ids)
            if (id == 0)
                throw Error(fmt::format("study {} in '{}' misses chains of setting '{}'", study_id,
                                        db.path(), settings[s].name));
        ids.chain_ids.push_back(std::move(chain_ids));
    }
    return ids;
}

namespace {

// run_study in stages.

// Stage 1: the parts of setting `s` that its chains share: its source (an image source and its
// PCA shared with an earlier setting that has the same source: both are large), its unfitted
// model and its metrics. `metric_threads`: the threads each metric may use. Throws ConfigError
// when the model keeps files and the run has no folder for them.
SettingParts setting_parts(const StudyConfig& study, std::size_t s,
                           const std::vector<SettingParts>& earlier, int metric_threads,
                           const RunOptions& options) {
    const Setting& setting = study.settings[s];
    SettingParts p;
    if (setting.config.source.kind == "text") {
        p.text = make_text_source(setting.config.source);
        p.text_prototype = make_text_model(setting.config.model, *p.text);
        p.text_metrics = make_text_metrics(setting.config.metrics);
    } else {
        for (std::size_t i = 0; i < earlier.size(); ++i) {
            // Image and word sources read files: one read for the settings that share one.
            const bool large =
                dynamic_cast<const ImageSource*>(earlier[i].source.get()) != nullptr ||
                dynamic_cast<const CategoricalSource*>(earlier[i].source.get()) != nullptr;
            if (large && to_json(study.settings[i].config).at("source") ==
                             to_json(setting.config).at("source")) {
                p.source = earlier[i].source;
                if (earlier[i].pca &&
                    source_pca_components(setting.config) <= earlier[i].pca->components())
                    p.pca = earlier[i].pca;
                p.features = earlier[i].features;
                break;
            }
        }
        if (!p.source) p.source = make_source(setting.config.source);
        if (!p.pca) p.pca = make_source_pca(setting.config, *p.source);
        if (!p.features) p.features = make_source_features(setting.config, *p.source);
        if (const auto* images = dynamic_cast<const ImageSource*>(p.source.get()))
            p.image_shape = images->shape();
        p.prototype = make_model(setting.config.model, p.pca);
        p.metrics = make_metrics(setting.config.metrics, metric_threads, p.pca, p.features);
    }
    if (p.needs_work_dir() && models_work_dir(setting, options).empty())
        throw ConfigError(fmt::format(
            "the {} family needs a folder for its files: set model.work_dir, or run the study "
            "with an output folder (madlab run --out DIR)",
            setting.config.model.family));
    return p;
}

// One chain's run: where it comes from and where its results go (the database's writer, or the
// chain's own slots of records and samples).
struct ChainJob {
    const StudyConfig& study;
    const Setting& setting;
    std::uint64_t seed = 0;
    bool first_seed = false;  // the seed whose samples the report keeps
    bool text = false;
    ResultsDb* db = nullptr;
    std::int64_t chain_id = 0;
    GenerationWriter* writer = nullptr;
    Progress& progress;
    std::vector<Record>& records;
    std::vector<SampleRow>& samples;
    const std::atomic<bool>* stop = nullptr;  // RunOptions::stop
    bool checkpoints = true;                  // RunOptions::checkpoints
    double checkpoint_seconds = 0.0;          // RunOptions::checkpoint_seconds, 0 if files
};

// Whether a setting's chains checkpoint every generation: those whose models keep files
// (external commands), the neural families (a generation takes seconds or more, and their bits
// depend on the CPU's kernels) and the user's own Python models, whose refit need not be
// deterministic. The others are madlab's own classical families, which refit bit for bit from
// a checkpoint (every draw comes from the stream of (seed, generation, purpose)), so they may
// checkpoint less often and recompute (RunOptions::checkpoint_seconds).
bool checkpoints_every_generation(const Setting& setting, const SettingParts& parts) {
    const std::string& family = setting.config.model.family;
    return parts.needs_work_dir() || family == "python" || family == "vae" || family == "flow" ||
           family == "gpt";
}

// Stage 2: runs a chain of any kind to its last generation, from the database's checkpoint when
// there is one, and hands every generation's records (and, for the first seed, the samples
// `samples_of(chain, g)` keeps for the report) with the chain's checkpoint to the job's sink.
// What drive_chain throws when the database's checkpoint of the chain cannot be read (a
// truncated or corrupt blob): run_chain then recomputes the chain from generation 0.
class BadCheckpoint : public DataError {
public:
    using DataError::DataError;
};

// `from_checkpoint`: continue from the database's checkpoint of the chain, if it has one.
template <class Data, class SamplesOf>
void drive_chain(ChainOf<Data>& chain, const ChainJob& job, SamplesOf samples_of,
                 bool from_checkpoint = true) {
    if (job.db != nullptr && from_checkpoint) {
        if (auto state = job.db->checkpoint(job.chain_id); state && !state->empty()) {
            try {
                chain.restore(*state);
            } catch (const DataError& e) {
                throw BadCheckpoint(e.what());
            }
            job.progress.advance(static_cast<std::size_t>(chain.next_generation()));
        }
    }
    auto last_checkpoint = std::chrono::steady_clock::now();
    while (!chain.done()) {
        if (job.stop != nullptr && job.stop->load())
            throw Interrupted(
                fmt::format("study '{}' was interrupted; the generations committed "
                            "so far stay, and --resume continues from them",
                            job.study.name));
        GenerationResult g = chain.step();
        std::vector<SampleSet> samples;
        if (job.first_seed && keeps_samples(job.study, job.text, g.generation))
            samples = samples_of(chain, g.generation);
        if (job.writer != nullptr) {
            const auto now = std::chrono::steady_clock::now();
            const bool checkpoint =
                job.checkpoints && (job.checkpoint_seconds <= 0.0 || chain.done() ||
                                    (job.stop != nullptr && job.stop->load()) ||
                                    std::chrono::duration<double>(now - last_checkpoint).count() >=
                                        job.checkpoint_seconds);
            if (checkpoint) last_checkpoint = now;
            job.writer->push({job.chain_id, g.generation, g.values,
                              checkpoint ? chain.checkpoint() : std::string(), std::move(samples)});
        } else {
            for (const auto& [metric, value] : g.values)
                job.records.push_back(
                    Record{job.setting.name, job.seed, g.generation, metric, value});
            for (auto& set : samples)
                job.samples.push_back(
                    SampleRow{job.setting.name, job.seed, g.generation, std::move(set)});
        }
        job.progress.advance();
    }
}

// Stage 2, per kind of data: builds the chain of `job` from its setting's parts and drives it
// (`from_checkpoint`: see drive_chain).
void run_chain_once(const ChainJob& job, const SettingParts& parts, const RunOptions& options,
                    bool from_checkpoint) {
    const std::string work_dir = models_work_dir(job.setting, options);
    if (parts.text) {
        const auto tokens = parts.text->text_options().tokens;
        TextChainSpec spec = chain_spec<Corpus>(job.study, job.setting, job.seed, work_dir);
        spec.source = parts.text.get();
        spec.prototype = parts.text_prototype.get();
        for (const auto& m : parts.text_metrics) spec.metrics.push_back(m.get());
        spec.n_test = 0;  // every held-out line
        TextChain chain(spec);
        drive_chain(
            chain, job,
            [&](const TextChain& c, int g) { return kept_samples(job.study, c, g, tokens); },
            from_checkpoint);
        return;
    }
    ChainSpec spec = chain_spec<Matrix>(job.study, job.setting, job.seed, work_dir);
    spec.source = parts.source.get();
    spec.prototype = parts.prototype.get();
    for (const auto& m : parts.metrics) spec.metrics.push_back(m.get());
    Chain chain(spec);
    drive_chain(
        chain, job,
        [&](const Chain& c, int g) { return kept_samples(job.study, c, g, parts.image_shape); },
        from_checkpoint);
}

// Stage 2: run_chain_once from the chain's checkpoint; when that checkpoint cannot be read, says
// so on stderr (naming the chain and the database) and recomputes the chain from generation 0:
// its committed generations stay as they are (the database skips them when they come again,
// and takes the first new checkpoint that carries their values), so a resume still completes.
void run_chain(const ChainJob& job, const SettingParts& parts, const RunOptions& options) {
    try {
        run_chain_once(job, parts, options, true);
    } catch (const BadCheckpoint& e) {
        fmt::print(stderr,
                   "madlab: warning: the checkpoint of chain {} (setting '{}', seed {}) in "
                   "results database '{}' cannot be read ({}); recomputing that chain from "
                   "generation 0 (its committed generations stay as they are)\n",
                   job.chain_id, job.setting.name, job.seed, job.db->path(), e.what());
        std::fflush(stderr);
        run_chain_once(job, parts, options, false);
    }
}

// Stage 3: the study's summary, records (unless `collect_records` is off) and kept samples: from
// the database (which then marks the study finished), or the chains' slots concatenated in
// (setting, seed) order, samples sorted as the database sorts them (by setting, seed, generation
// and kind).
void collect_results(StudyResult& result, ResultsDb* db, const StudyIds* ids, bool collect_records,
                     std::vector<std::vector<Record>>& per_chain,
                     std::vector<std::vector<SampleRow>>& per_chain_samples) {
    if (db != nullptr) {
        result = finish_study(*db, ids->study_id, collect_records);
        return;
    }
    for (auto& chain_records : per_chain)
        result.records.insert(result.records.end(), std::make_move_iterator(chain_records.begin()),
                              std::make_move_iterator(chain_records.end()));
    for (auto& chain_samples : per_chain_samples) {
        std::stable_sort(chain_samples.begin(), chain_samples.end(),
                         [](const SampleRow& a, const SampleRow& b) {
                             return std::pair(a.generation, a.samples.kind) <
                                    std::pair(b.generation, b.samples.kind);
                         });
        result.samples.insert(result.samples.end(), std::make_move_iterator(chain_samples.begin()),
                              std::make_move_iterator(chain_samples.end()));
    }
}

}  // namespace

StudyResult finish_study(ResultsDb& db, std::int64_t study_id, bool collect_records) {
    StudyResult result;
    if (collect_records) {
        RecordFilter filter;
        filter.study_id = study_id;
        result.records = db.records(filter);
    }
    result.summary = summarize_study(db, study_id);
    result.samples = db.samples(study_id);
    db.set_study_status(study_id, "finished");
    return result;
}

StudyResult run_study(const StudyConfig& study, const RunOptions& options, ResultsDb* db,
                      const StudyIds* ids) {
    if ((db == nullptr) != (ids == nullptr))
        throw Error("run_study needs both a database and the study's ids, or neither");
    const auto start = std::chrono::steady_clock::now();
    const int threads = resolve_threads(options.threads >= 0 ? options.threads : study.threads);
    const std::size_t seeds = static_cast<std::size_t>(study.seeds);
    const std::size_t chains = study.settings.size() * seeds;

    std::vector<SettingParts> parts;
    for (std::size_t s = 0; s < study.settings.size(); ++s)
        // With one chain the metrics may use every core; otherwise chains fill the cores.
        parts.push_back(setting_parts(study, s, parts, chains == 1 ? threads : 1, options));

    std::vector<std::vector<Record>> per_chain(chains);
    std::vector<std::vector<SampleRow>> per_chain_samples(chains);
    std::unique_ptr<GenerationWriter> writer;
    if (db != nullptr) writer = std::make_unique<GenerationWriter>(*db);
    // The chains to run: those of the shard, in index order.
    std::vector<std::size_t> order;
    for (std::size_t index = 0; index < chains; ++index)
        if (options.shard.has(index)) order.push_back(index);
    Progress progress(order.size() * static_cast<std::size_t>(study.generations + 1), study.name,
                      options.progress);
    const std::function<void(std::size_t)> run_chain_at = [&](std::size_t index) {
        const std::size_t s = index / seeds;
        const ChainJob job{study,
                           study.settings[s],
                           study.first_seed + index % seeds,
                           index % seeds == 0,
                           parts[s].text != nullptr,
                           db,
                           db != nullptr ? ids->chain_ids[s][index % seeds] : 0,
                           writer.get(),
                           progress,
                           per_chain[index],
                           per_chain_samples[index],
                           options.stop,
                           options.checkpoints,
                           checkpoints_every_generation(study.settings[s], parts[s])
                               ? 0.0
                               : options.checkpoint_seconds};
        run_chain(job, parts[s], options);
    };
    if (options.dispatcher != nullptr && writer)
        options.dispatcher->run_chains(
            {study, chains, order, threads, run_chain_at, *db, *ids, *writer, progress});
    else
        parallel_for(order.size(), threads, [&](std::size_t k) { run_chain_at(order[k]); });
    progress.finish();
    if (writer) writer->finish();

    StudyResult result;
    collect_results(result, db, ids, options.collect_records, per_chain, per_chain_samples);
    if (db == nullptr) result.summary = summarize(result.records);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace madlab
