#pragma once
// The data schedule: which data trains each generation (SCIENCE.md section 2). Every loop design
// of the literature is one ScheduleOptions; the named presets fill it from one size n.
//
// Generation 0 trains on n_real_initial real points. Generation t >= 1 trains on
//   new_t = (fixed real set) + (n_real_fresh new real points) + (n_synthetic samples)
// where the synthetic samples come evenly from the last synthetic_from_last_k models. Without
// `accumulate` the training set is new_t (replace). With it the pool keeps every earlier
// training set and grows by the fresh and synthetic rows (Gerstgrasser et al. 2024); with
// `subsample` > 0 a random subset of that size of the pool is trained on (Kazdan et al. 2024).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"
#include "madlab/data/corpus.h"
#include "madlab/models/generative_model.h"

namespace madlab {

struct ScheduleOptions {
    std::size_t n_real_initial = 1000;  // real points training generation 0
    std::size_t n_synthetic = 1000;     // samples of earlier models per generation
    std::size_t n_real_fixed = 0;       // part of generation 0's real data reused every generation
    std::size_t n_real_fresh = 0;       // new real points drawn every generation
    bool accumulate = false;            // keep all earlier training data
    std::size_t subsample = 0;          // with accumulate: train on this many pool rows (0 = all)
    int synthetic_from_last_k = 1;      // spread synthetic samples over the last K models
};

// The preset names, in the order the CLI lists them.
const std::vector<std::string>& schedule_preset_names();

// The options of a named preset with per-generation size n: fully-synthetic (replace),
// synthetic-augmentation (a fixed real set of n reused), fresh-data (n fresh real + n
// synthetic), accumulate, accumulate-subsample (subsample n). Throws ConfigError (naming
// schedule.preset and listing the valid names) for an unknown name.
ScheduleOptions schedule_preset(const std::string& name, std::size_t n);

// Checks that the options make a schedule; throws ConfigError naming the schedule.* key.
void validate(const ScheduleOptions& options);

// A training set with the provenance of every row: origin[i] belongs to row i of data (a row
// of a Matrix, a line of a Corpus). kRealOrigin (models/generative_model.h) marks real data,
// g >= 0 a sample of generation g's model.
template <class Data>
struct TrainingSetOf {
    Data data;
    std::vector<int> origin;

    std::size_t size() const { return origin.size(); }
    // Fraction of rows that are real data (0 for an empty set).
    double real_fraction() const {
        if (origin.empty()) return 0.0;
        std::size_t real = 0;
        for (int o : origin) real += (o == kRealOrigin);
        return static_cast<double>(real) / static_cast<double>(origin.size());
    }
    // Appends the rows of `rows` with the given origin.
    void append(const Data& rows, int row_origin) {
        append_rows(data, rows);
        origin.insert(origin.end(), row_count(rows), row_origin);
    }
    void append(const TrainingSetOf& other) {
        append_rows(data, other.data);
        origin.insert(origin.end(), other.origin.begin(), other.origin.end());
    }
    // The subset of the given rows, in the given order.
    TrainingSetOf select(const std::vector<std::size_t>& rows) const {
        TrainingSetOf out;
        out.data = select_rows(data, rows);
        out.origin.reserve(rows.size());
        for (std::size_t i : rows) out.origin.push_back(origin[i]);
        return out;
    }
};

using TrainingSet = TrainingSetOf<Matrix>;
using TextTrainingSet = TrainingSetOf<Corpus>;

// The random stream of one purpose ("real", "synthetic", "fit"...) at one generation of the
// chain with this seed. Streams do not depend on the setting: settings compared in one study
// share their real data seed by seed (common random numbers).
inline Rng chain_stream(std::uint64_t seed, int generation, std::string_view purpose,
                        std::uint64_t extra = 0) {
    return Rng::stream({seed, static_cast<std::uint64_t>(generation), hash_tag(purpose), extra});
}

// Builds the training set of `generation` from the schedule, for any kind of training set
// (TrainingSetOf<Data>): Set needs size(), append(const Set&) and select(row indices).
// `draw_real(n, rng)` returns n real rows; `sample(j, n, model_generation, rng)` returns n samples
// of the j-th of the `models` most recent models (oldest first) with their origin set. Generation 0
// draws n_real_initial real rows and sets `fixed_real` (its first n_real_fixed rows) and `pool`;
// later generations add fresh and synthetic rows, and `pool` grows under accumulate.
template <class Set, class DrawReal, class Sample>
Set build_training_set(int generation, const ScheduleOptions& s, std::uint64_t seed,
                       Set& fixed_real, Set& pool, std::size_t models, DrawReal&& draw_real,
                       Sample&& sample) {
    if (generation == 0) {
        Rng real_rng = chain_stream(seed, 0, "real");
        Set first = draw_real(s.n_real_initial, real_rng);
        std::vector<std::size_t> head(s.n_real_fixed);
        for (std::size_t i = 0; i < head.size(); ++i) head[i] = i;
        fixed_real = first.select(head);
        pool = first;
        return first;
    }
    Set added;  // fresh real and synthetic rows of this generation
    if (s.n_real_fresh > 0) {
        Rng real_rng = chain_stream(seed, generation, "real");
        added.append(draw_real(s.n_real_fresh, real_rng));
    }
    // Synthetic rows spread evenly over the last K models; the newest takes the remainder.
    for (std::size_t j = 0; j < models; ++j) {
        const std::size_t share =
            s.n_synthetic / models + (j + 1 == models ? s.n_synthetic % models : 0);
        if (share == 0) continue;
        Rng sample_rng = chain_stream(seed, generation, "synthetic", j);
        added.append(sample(j, share, generation - static_cast<int>(models - j), sample_rng));
    }
    if (!s.accumulate) {
        Set next = fixed_real;
        next.append(added);
        return next;
    }
    pool.append(added);
    if (s.subsample == 0 || s.subsample >= pool.size()) return pool;
    Rng subsample_rng = chain_stream(seed, generation, "subsample");
    return pool.select(sample_without_replacement(pool.size(), s.subsample, subsample_rng));
}

}  // namespace madlab
