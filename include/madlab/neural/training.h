#pragma once
// What every neural family (vae, flow, gpt) shares: how a network is trained each generation.
// The options are a plain struct with documented defaults; every neural family declares the
// same config keys for them (training_keys), each with its own defaults, and reads them back
// with training_options.
//
// Training is minibatch Adam (Kingma & Ba 2015) on the family's loss. Every random choice
// (initial weights, the order of the minibatches, the noise of a VAE's reparameterisation)
// comes from the fit's own stream (FitContext::rng), and each chain's LibTorch work runs on one
// intra-op thread with LibTorch's deterministic algorithms, so the weights, and the records,
// depend only on the config and the seed, whatever the number of chains or cores
// (docs/neural.md).

#include <cstdint>
#include <string>
#include <vector>

#include "madlab/core/config_key.h"

namespace madlab {

struct TrainingOptions {
    // Where each generation's weights start.
    enum class Init {
        kScratch,   // fresh random weights every generation
        kPrevious,  // the previous generation's fitted weights (fine-tuning, as Shumailov et
                    // al. 2024 did with their language model); generation 0 starts fresh
    };
    int epochs = 20;              // model.epochs, >= 1: passes over the training set
    std::int64_t steps = 0;       // model.steps, >= 0: if > 0, this many minibatches instead
    int batch_size = 64;          // model.batch_size, >= 1 (a smaller set is one batch)
    double learning_rate = 1e-3;  // model.learning_rate, > 0: Adam's step size
    int width = 64;               // model.width, >= 1: hidden units per layer (gpt: embedding)
    int depth = 2;                // model.depth, >= 1: hidden layers (flow: per coupling
                                  // network; gpt: transformer blocks)
    Init init = Init::kScratch;   // model.init: "scratch" or "previous"

    // Minibatches of one fit on `rows` training rows: steps, or epochs * ceil(rows / batch).
    std::int64_t total_steps(std::size_t rows) const;
    // Throws ConfigError, naming `family` and the keys, unless width, depth, batch_size, epochs
    // and learning_rate are positive.
    void check(const std::string& family) const;
};

// The config keys of TrainingOptions (model.epochs, model.steps, model.batch_size,
// model.learning_rate, model.width, model.depth, model.init) with `defaults` as their
// defaults; `vectors`/`text` say which studies they apply to, as ConfigKey's fields.
std::vector<ConfigKey> training_keys(const TrainingOptions& defaults, bool vectors, bool text);
// The options read for those keys.
TrainingOptions training_options(const Params& params);

// "scratch" or "previous".
std::string init_name(TrainingOptions::Init init);

}  // namespace madlab
