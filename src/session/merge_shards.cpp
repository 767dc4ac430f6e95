#include "madlab/session/merge_shards.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include "madlab/core/error.h"
#include "madlab/store/results_db.h"
#include "madlab/store/run_folder.h"
#include "madlab/study/resolved_config.h"
#include "madlab/study/study_runner.h"

namespace madlab {

namespace {

// One shard's run folder, opened read-only.
struct ShardRun {
    std::string dir;
    RunLink link;
    std::unique_ptr<ResultsDb> db;
    StudyRow study;
    // Per setting position: the setting's id in the shard's database and its chains by seed.
    std::vector<std::int64_t> setting_ids;
    std::vector<std::map<std::uint64_t, ChainRow>> chains;
};

ShardRun open_shard(const std::string& dir) {
    ShardRun run;
    run.dir = dir;
    const auto link = RunFolder(dir).read_run_link();
    if (!link)
        throw ConfigError(fmt::format(
            "merge: '{}' holds no run (no {}); give the output folders of `madlab run --shard K/N "
            "--out DIR`",
            dir, RunFolder(dir).path(RunFolder::kRun)));
    run.link = *link;
    if (!std::filesystem::exists(run.link.db))
        throw DataError(
            fmt::format("merge: the database '{}' of '{}' does not exist", run.link.db, dir));
    run.db = ResultsDb::open(run.link.db, ResultsDb::Mode::kReadOnly);
    const auto row = run.db->study(run.link.study_id);
    if (!row)
        throw DataError(fmt::format("merge: study {} of '{}' is not in '{}'", run.link.study_id,
                                    dir, run.link.db));
    run.study = *row;
    for (const auto& setting : run.db->settings(run.link.study_id)) {
        run.setting_ids.push_back(setting.id);
        auto& by_seed = run.chains.emplace_back();
        for (const auto& chain : run.db->chains(setting.id)) by_seed[chain.seed] = chain;
    }
    return run;
}

// The first line where two texts differ, for the message that refuses mismatched shards.
std::string first_difference(const std::string& a, const std::string& b) {
    std::size_t line = 1, start = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        if (a[i] != b[i]) break;
        if (a[i] == '\n') {
            ++line;
            start = i + 1;
        }
    }
    const auto line_of = [&](const std::string& text) {
        if (start >= text.size()) return std::string("(end of config)");
        return text.substr(start, text.find('\n', start) - start);
    };
    return fmt::format("line {}: '{}' vs '{}'", line, line_of(a), line_of(b));
}

// Checks that the shards are N different shards of one study run by one madlab.
void check_shards_agree(const std::vector<ShardRun>& shards) {
    const ShardRun& first = shards.front();
    for (const ShardRun& shard : shards) {
        if (shard.study.config_toml != first.study.config_toml)
            throw ConfigError(fmt::format(
                "merge: '{}' and '{}' are not shards of one study: their configs differ ({}); "
                "merge only shards of one config",
                first.dir, shard.dir,
                first_difference(first.study.config_toml, shard.study.config_toml)));
        if (shard.study.madlab_version != first.study.madlab_version)
            throw ConfigError(fmt::format(
                "merge: '{}' was run by madlab {} and '{}' by madlab {}; their records may "
                "differ, so run every shard with one madlab",
                first.dir, first.study.madlab_version, shard.dir, shard.study.madlab_version));
        if (shard.link.shard.count != first.link.shard.count)
            throw ConfigError(fmt::format(
                "merge: '{}' is shard {} but '{}' is shard {}; merge the shards of one --shard K/N "
                "split",
                first.dir, first.link.shard.to_string(), shard.dir, shard.link.shard.to_string()));
    }
    for (std::size_t i = 0; i < shards.size(); ++i)
        for (std::size_t j = i + 1; j < shards.size(); ++j)
            if (shards[i].link.shard.index == shards[j].link.shard.index)
                throw ConfigError(
                    fmt::format("merge: '{}' and '{}' are both shard {}; give each "
                                "shard once",
                                shards[i].dir, shards[j].dir, shards[i].link.shard.to_string()));
}

// For every chain index (setting position x seeds + seed index): the shard that holds it
// finished. Throws DataError listing the chains that no given shard holds finished.
std::vector<const ShardRun*> chain_owners(const StudyConfig& study,
                                          const std::vector<ShardRun>& shards) {
    const std::size_t seeds = static_cast<std::size_t>(study.seeds);
    const int count = shards.front().link.shard.count;
    std::vector<const ShardRun*> owners(study.settings.size() * seeds, nullptr);
    std::map<int, std::vector<std::string>> missing;  // shard index -> chains
    std::map<int, const ShardRun*> by_index;
    for (const ShardRun& shard : shards) by_index[shard.link.shard.index] = &shard;
    for (std::size_t index = 0; index < owners.size(); ++index) {
        const std::size_t s = index / seeds;
        const std::uint64_t seed = study.first_seed + index % seeds;
        const int k = static_cast<int>(index % static_cast<std::size_t>(count));
        const auto it = by_index.find(k);
        if (it != by_index.end() && s < it->second->chains.size()) {
            const auto chain = it->second->chains[s].find(seed);
            if (chain != it->second->chains[s].end() &&
                chain->second.last_generation == study.generations) {
                owners[index] = it->second;
                continue;
            }
        }
        missing[k].push_back(fmt::format("'{}' seed {}", study.settings[s].name, seed));
    }
    if (missing.empty()) return owners;
    std::string lines;
    for (const auto& [k, chains] : missing) {
        const auto it = by_index.find(k);
        const std::string where =
            it == by_index.end()
                ? fmt::format("shard {}/{} (not given)", k, count)
                : fmt::format("'{}' (shard {}/{}, unfinished)", it->second->dir, k, count);
        std::string list;
        for (std::size_t i = 0; i < std::min<std::size_t>(chains.size(), 3); ++i)
            list += (i ? ", " : "") + chains[i];
        if (chains.size() > 3) list += fmt::format(" and {} more", chains.size() - 3);
        lines += fmt::format("\n  {}: {} chains: {}", where, chains.size(), list);
    }
    throw DataError(fmt::format(
        "merge: chains are missing:{}\nrun the missing shards (madlab run STUDY.toml --shard K/N "
        "--out DIR), finish the unfinished ones (madlab run --resume DIR), and merge again",
        lines));
}

// Copies every chain's generations, kept samples and (with `checkpoints`) last checkpoint, if
// its shard kept it (--keep-checkpoints), from the shard that owns it into `db`, one (setting,
// generation) at a time, in one transaction each.
void copy_chains(const StudyConfig& study, const std::vector<const ShardRun*>& owners,
                 const StudyIds& ids, ResultsDb& db, bool checkpoints) {
    const std::size_t seeds = static_cast<std::size_t>(study.seeds);
    // The samples the report keeps (first seed only: small), by (setting, seed, generation).
    std::map<std::tuple<std::string, std::uint64_t, int>, std::vector<SampleSet>> samples;
    std::vector<const ShardRun*> shards(owners.begin(), owners.end());
    std::sort(shards.begin(), shards.end());
    shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
    for (const ShardRun* shard : shards)
        for (auto& row : shard->db->samples(shard->link.study_id))
            samples[{row.setting, row.seed, row.generation}].push_back(std::move(row.samples));
    for (std::size_t s = 0; s < study.settings.size(); ++s) {
        const std::string& setting = study.settings[s].name;
        // The generation each chain's checkpoint in its shard was taken after (chains checkpoint
        // at most once a second, not necessarily after the last generation), when copied.
        std::vector<std::optional<int>> checkpoint_after(seeds);
        for (std::size_t i = 0; checkpoints && i < seeds; ++i) {
            const ShardRun* owner = owners[s * seeds + i];
            checkpoint_after[i] =
                owner->db->checkpoint_generation(owner->chains[s].at(study.first_seed + i).id);
        }
        for (int g = 0; g <= study.generations; ++g) {
            // The generation's values of every chain of the setting, by seed, from each shard
            // once.
            std::map<std::uint64_t, std::vector<std::pair<std::string, double>>> values;
            std::set<const ShardRun*> read;
            for (std::size_t i = 0; i < seeds; ++i) {
                const ShardRun* owner = owners[s * seeds + i];
                if (!read.insert(owner).second) continue;
                for (Record& r : owner->db->generation_records(owner->setting_ids[s], g)) {
                    const std::uint64_t k = r.seed - study.first_seed;  // the seed's index
                    if (r.seed >= study.first_seed && k < seeds && owners[s * seeds + k] == owner)
                        values[r.seed].emplace_back(std::move(r.metric), r.value);
                }
            }
            std::vector<GenerationCommit> batch;
            for (std::size_t i = 0; i < seeds; ++i) {
                const ShardRun* owner = owners[s * seeds + i];
                const std::uint64_t seed = study.first_seed + i;
                GenerationCommit commit;
                commit.chain_id = ids.chain_ids[s][i];
                commit.generation = g;
                commit.values = std::move(values[seed]);
                if (checkpoint_after[i] == g)
                    commit.checkpoint =
                        owner->db->checkpoint(owner->chains[s].at(seed).id).value_or(std::string());
                if (const auto it = samples.find({setting, seed, g}); it != samples.end())
                    commit.samples = it->second;
                batch.push_back(std::move(commit));
            }
            db.commit_generations(batch);
        }
    }
}

}  // namespace

SessionResult merge_shards(const std::vector<std::string>& shard_dirs,
                           const SessionOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    if (shard_dirs.empty())
        throw ConfigError("merge: give the output folders of the shards to merge");
    if (options.out_dir.empty())
        throw ConfigError("merge: give the output folder of the merged run");
    if (options.no_db || !options.shard.whole())
        throw ConfigError(
            "merge: the merged run has a database and every chain; do not give "
            "no_db or a shard");
    if (RunFolder(options.out_dir).read_run_link())
        throw ConfigError(
            fmt::format("merge: '{}' already holds a run ({}); merge into a new folder",
                        options.out_dir, RunFolder(options.out_dir).path(RunFolder::kRun)));
    std::vector<ShardRun> shards;
    for (const auto& dir : shard_dirs) shards.push_back(open_shard(dir));
    check_shards_agree(shards);
    const ShardRun& first = shards.front();
    const StudyConfig study = parse_study(
        first.study.config_toml, fmt::format("{} (study {})", first.link.db, first.link.study_id));
    const std::vector<const ShardRun*> owners = chain_owners(study, shards);

    const std::string& out = options.out_dir;
    RunFolder(out).create();
    const std::string db_path =
        options.db_path.empty() ? RunFolder(out).path(RunFolder::kDatabase) : options.db_path;
    const auto db = ResultsDb::open(db_path, ResultsDb::Mode::kReadWrite);
    const StudyIds ids = register_study(*db, study);
    RunFolder(out).write_run_link(db_path, ids.study_id);
    RunFolder(out).write_config(to_toml(study));
    try {
        copy_chains(study, owners, ids, *db, options.keep_checkpoints);
    } catch (...) {
        try {
            db->set_study_status(ids.study_id, "failed");
        } catch (const std::exception&) {
        }
        throw;
    }
    StudyResult result = finish_study(*db, ids.study_id, false);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report_run(study, out, *db, ids.study_id, std::move(result), options);
}

}  // namespace madlab
