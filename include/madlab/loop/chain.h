#pragma once
// One self-consuming chain: a single seed of a single setting, run generation by generation.
// Each step builds the generation's training set (schedule.h), fits a fresh copy of the model,
// draws n_eval samples with the sampling bias and scores them against the held-out test set.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "madlab/data/real_source.h"
#include "madlab/loop/schedule.h"
#include "madlab/metrics/metric.h"
#include "madlab/models/generative_model.h"

namespace madlab {

struct ChainSpec {
    const RealSource* source = nullptr;          // not owned; outlives the chain
    const ContinuousModel* prototype = nullptr;  // unfitted model, cloned every generation
    std::vector<const Metric*> metrics;          // not owned
    ScheduleOptions schedule;
    double bias = 1.0;          // sampling bias lambda for synthetic data and evaluation samples
    int generations = 20;       // last generation index; generations 0..generations run
    std::size_t n_eval = 1000;  // model samples scored per generation (M)
    std::size_t n_test = 1000;  // held-out real points (N), drawn once per chain
    std::uint64_t seed = 0;
};

struct GenerationResult {
    int generation = 0;
    MetricValues values;  // metric values, then train_size and real_fraction
    FitInfo fit;
};

class Chain {
public:
    // Random streams depend on (seed, generation, purpose) only, not on the setting: settings
    // compared in one study share their real data and test set seed by seed (common random
    // numbers), so differences between settings are not sampling noise of the real data.
    explicit Chain(ChainSpec spec);

    int next_generation() const { return next_generation_; }
    bool done() const { return next_generation_ > spec_.generations; }

    // Trains, samples and scores generation next_generation(), then advances.
    GenerationResult step();

    // The chain's state after its last finished generation, as bytes: the generation counter,
    // the fixed real set, the accumulated pool and the training sets of the last K models.
    // Models are not stored: restore() refits them on their training sets with their own
    // random streams, which gives bit-identical models (fits are deterministic).
    std::string checkpoint() const;
    // Restores a checkpoint of a chain with the same spec; the next step() continues exactly
    // where the checkpointed chain would have. Throws DataError on malformed bytes.
    void restore(const std::string& bytes);

    // The model fitted at the last finished generation (nullptr before the first step).
    const ContinuousModel* last_model() const;
    // The training set of the last finished generation, with provenance.
    const TrainingSet& last_training_set() const { return train_; }
    const Matrix& test_set() const { return test_; }
    // The samples the last finished generation was scored on (kept for reports).
    const Matrix& last_samples() const { return samples_; }

private:
    TrainingSet next_training_set(int generation);
    Rng rng(int generation, std::string_view purpose, std::uint64_t extra = 0) const;

    ChainSpec spec_;
    int next_generation_ = 0;
    Matrix test_;
    Matrix samples_;
    TrainingSet fixed_real_;  // reused real rows (synthetic augmentation)
    TrainingSet pool_;        // everything trained on so far (accumulate)
    TrainingSet train_;       // the current generation's training set
    std::deque<std::unique_ptr<ContinuousModel>> recent_models_;  // last K, newest at back
    std::deque<TrainingSet> recent_training_;  // their training sets, for checkpoints
};

}  // namespace madlab
