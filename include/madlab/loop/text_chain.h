#pragma once
// One self-consuming chain on text: a language model (an n-gram model, or an external one:
// models/text_model.h) retrained generation after generation on a mix of real lines and lines
// it sampled itself (Shumailov et al. 2024's experiment), with the same schedules as continuous
// data (schedule.h). Each generation is scored on the held-out real text (perplexity, KenLM's
// convention for the n-gram model; vocabulary retention) when the model can do that, and
// always on n_eval sampled lines (distinct-n, unigram entropy, Zipf exponent, line length).

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "madlab/data/corpus.h"
#include "madlab/data/text_source.h"
#include "madlab/loop/chain.h"
#include "madlab/loop/schedule.h"
#include "madlab/models/ngram.h"
#include "madlab/models/text_model.h"

namespace madlab {

// A training set of text lines with the origin of every line (kRealOrigin or the generation
// of the model that wrote it); the text counterpart of TrainingSet.
struct TextTrainingSet {
    Corpus corpus;
    std::vector<int> origin;

    std::size_t size() const { return origin.size(); }
    double real_fraction() const;
    void append(const Corpus& lines, int line_origin);
    void append(const TextTrainingSet& other);
    TextTrainingSet select(const std::vector<std::size_t>& lines) const;
};

struct TextChainSpec {
    const TextSource* source = nullptr;    // not owned; outlives the chain
    NgramOptions model;                    // the n-gram model, used when prototype is null
    const TextModel* prototype = nullptr;  // not owned; every generation fits a clone of it
    ScheduleOptions schedule;              // sizes count lines
    double bias = 1.0;  // sampling temperature tau = lambda (SCIENCE.md section 3)
    int generations = 10;
    std::size_t n_eval = 1000;          // lines sampled per generation for the sample metrics
    std::size_t token_budget = 10000;   // tokens those metrics read (comparable generations)
    std::size_t max_line_length = 200;  // a sampled line is cut after this many words
    std::uint64_t seed = 0;
};

class TextChain {
public:
    // Streams depend on (seed, generation, purpose) only, as in Chain.
    explicit TextChain(TextChainSpec spec);

    int next_generation() const { return next_generation_; }
    bool done() const { return next_generation_ > spec_.generations; }
    // Trains, samples and scores generation next_generation(), then advances.
    GenerationResult step();

    // As Chain::checkpoint(): the generation counter, the fixed real lines, the pool and the
    // training sets of the last K models; restore() refits those models (the fit is
    // deterministic), so the chain continues bit-identically.
    std::string checkpoint() const;
    // Throws DataError on malformed bytes.
    void restore(const std::string& bytes);

    const TextTrainingSet& last_training_set() const { return train_; }
    const TextModel* last_model() const {
        return recent_models_.empty() ? nullptr : recent_models_.back().get();
    }
    // Sampled lines of the last generation (kept for reports).
    const Corpus& last_samples() const { return samples_; }
    // The held-out real lines every generation is scored on.
    const Corpus& test_set() const { return test_; }

private:
    TextTrainingSet next_training_set(int generation);
    Rng rng(int generation, std::string_view purpose, std::uint64_t extra = 0) const;
    // A clone of the prototype fitted to `train` with generation g's fit stream.
    std::unique_ptr<TextModel> fit_model(int g, const TextTrainingSet& train, FitInfo* info) const;

    TextChainSpec spec_;
    int next_generation_ = 0;
    Corpus test_;
    TextTrainingSet fixed_real_;
    TextTrainingSet pool_;
    TextTrainingSet train_;
    Corpus samples_;
    std::unique_ptr<TextModel> ngram_prototype_;            // when spec.prototype is null
    std::deque<std::unique_ptr<TextModel>> recent_models_;  // last K, newest at back
    std::deque<TextTrainingSet> recent_training_;           // their training sets, for checkpoints
};

}  // namespace madlab
