#pragma once
// One self-consuming chain: a single seed of a single setting, run generation by generation, for
// any kind of data (vectors and images: Chain; text: TextChain). Each step builds the
// generation's training set (schedule.h), fits a fresh copy of the model with the generation's
// FitContext, draws n_eval samples with the sampling bias and scores them, with the model, against
// the held-out test set; the records of a generation are the metrics' values, then the training
// set's (train_size, for text train_tokens, real_fraction), then the fit's own (FitInfo::values).

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "madlab/data/data_source.h"
#include "madlab/loop/schedule.h"
#include "madlab/metrics/metric.h"
#include "madlab/models/generative_model.h"

namespace madlab {

template <class Data>
struct ChainSpecOf {
    const DataSource<Data>* source = nullptr;          // not owned; outlives the chain
    const GenerativeModel<Data>* prototype = nullptr;  // unfitted model, cloned every generation
    std::vector<const MetricOf<Data>*> metrics;        // not owned
    ScheduleOptions schedule;                          // sizes count rows (text: lines)
    double bias = 1.0;          // sampling bias lambda for synthetic data and evaluation samples
    int generations = 20;       // last generation index; generations 0..generations run
    std::size_t n_eval = 1000;  // model samples scored per generation (M)
    // Held-out real rows (N), drawn once per chain; 0 = the source's whole held-out split (text).
    std::size_t n_test = 1000;
    std::uint64_t seed = 0;
    std::string setting;   // the setting's name (FitContext::setting, the models' folders)
    std::string work_dir;  // root of the models' folders ("" = none; FitContext::work_dir)
};

using ChainSpec = ChainSpecOf<Matrix>;
using TextChainSpec = ChainSpecOf<Corpus>;

struct GenerationResult {
    int generation = 0;
    MetricValues values;  // metric values, then the training set's, then the fit's
    FitInfo fit;
};

template <class Data>
class ChainOf {
public:
    // Random streams depend on (seed, generation, purpose) only, not on the setting: settings
    // compared in one study share their real data and test set seed by seed (common random
    // numbers), so differences between settings are not sampling noise of the real data.
    // Throws Error without a source or a model, ConfigError for a bad schedule, DataError when
    // the source has no test data.
    explicit ChainOf(ChainSpecOf<Data> spec);

    int next_generation() const { return next_generation_; }
    bool done() const { return next_generation_ > spec_.generations; }

    // Trains, samples and scores generation next_generation(), then advances.
    GenerationResult step();

    // The chain's state after its last finished generation, as bytes: the generation counter,
    // the fixed real set, the accumulated pool and the training sets of the last K models.
    // Models are not stored: restore() refits them on their training sets with their own
    // random streams and contexts, which gives bit-identical models (fits are deterministic).
    std::string checkpoint() const;
    // Restores a checkpoint of a chain with the same spec; the next step() continues exactly
    // where the checkpointed chain would have. Throws DataError on malformed bytes.
    void restore(const std::string& bytes);

    // The model fitted at the last finished generation (nullptr before the first step).
    const GenerativeModel<Data>* last_model() const {
        return recent_models_.empty() ? nullptr : recent_models_.back().get();
    }
    // The training set of the last finished generation, with provenance.
    const TrainingSetOf<Data>& last_training_set() const { return train_; }
    // The held-out real data every generation is scored on.
    const Data& test_set() const { return test_; }
    // The samples the last finished generation was scored on (kept for reports).
    const Data& last_samples() const { return samples_; }

    // The folder FitContext::work_dir of generation g: <work_dir>/<setting>/seed-<seed>/
    // gen-<g, 4 digits>, absolute, with the setting's safe_file_name (core/safe_file_name.h);
    // "" without a work_dir.
    std::string generation_dir(int g) const;

private:
    TrainingSetOf<Data> next_training_set(int generation);
    Rng rng(int generation, std::string_view purpose, std::uint64_t extra = 0) const;
    // Generation g's place (generation, seed, setting, folder) with its fit stream `fit_rng`;
    // no origins, no previous model.
    FitContext<Data> fit_context(int g, Rng& fit_rng) const;
    // A clone of the prototype fitted to `train` as generation g's model, after `previous`.
    std::unique_ptr<GenerativeModel<Data>> fit_model(int g, const TrainingSetOf<Data>& train,
                                                     const GenerativeModel<Data>* previous,
                                                     FitInfo* info) const;

    ChainSpecOf<Data> spec_;
    int next_generation_ = 0;
    Data test_;
    Data samples_;
    TrainingSetOf<Data> fixed_real_;  // reused real rows (synthetic augmentation)
    TrainingSetOf<Data> pool_;        // everything trained on so far (accumulate)
    TrainingSetOf<Data> train_;       // the current generation's training set
    std::deque<std::unique_ptr<GenerativeModel<Data>>> recent_models_;  // last K, newest at back
    std::deque<TrainingSetOf<Data>> recent_training_;  // their training sets, for checkpoints
};

using Chain = ChainOf<Matrix>;
using TextChain = ChainOf<Corpus>;

extern template class ChainOf<Matrix>;
extern template class ChainOf<Corpus>;

}  // namespace madlab
