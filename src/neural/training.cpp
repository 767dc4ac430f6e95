#include "madlab/neural/training.h"

#include <algorithm>

#include "madlab/core/error.h"

namespace madlab {

std::int64_t TrainingOptions::total_steps(std::size_t rows) const {
    if (steps > 0) return steps;
    const auto batch = static_cast<std::size_t>(std::max(batch_size, 1));
    const auto batches = static_cast<std::int64_t>((rows + batch - 1) / batch);
    return static_cast<std::int64_t>(epochs) * std::max<std::int64_t>(batches, 1);
}

void TrainingOptions::check(const std::string& family) const {
    if (width < 1 || depth < 1 || batch_size < 1 || epochs < 1 || !(learning_rate > 0.0))
        throw ConfigError(family +
                          ": model.width, depth, batch_size, epochs and learning_rate must be "
                          "positive");
}

std::string init_name(TrainingOptions::Init init) {
    return init == TrainingOptions::Init::kPrevious ? "previous" : "scratch";
}

std::vector<ConfigKey> training_keys(const TrainingOptions& defaults, bool vectors, bool text) {
    std::vector<ConfigKey> keys = {
        {.name = "epochs",
         .type = ConfigKey::Type::kInt,
         .default_value = std::int64_t{defaults.epochs},
         .min = 1,
         .max = 1000000,
         .help = "passes over the training set per generation (unless model.steps is set)"},
        {.name = "steps",
         .type = ConfigKey::Type::kInt,
         .default_value = defaults.steps,
         .min = 0,
         .max = 1e12,
         .help = "minibatches per generation instead of epochs (0 = use model.epochs)"},
        {.name = "batch_size",
         .type = ConfigKey::Type::kInt,
         .default_value = std::int64_t{defaults.batch_size},
         .min = 1,
         .max = 1000000,
         .help = "training rows per minibatch"},
        {.name = "learning_rate",
         .type = ConfigKey::Type::kDouble,
         .default_value = defaults.learning_rate,
         .min = 0.0,
         .max = 10.0,
         .min_open = true,
         .help = "Adam's step size"},
        {.name = "width",
         .type = ConfigKey::Type::kInt,
         .default_value = std::int64_t{defaults.width},
         .min = 1,
         .max = 65536,
         .help = "hidden units per layer (gpt: the embedding size)"},
        {.name = "depth",
         .type = ConfigKey::Type::kInt,
         .default_value = std::int64_t{defaults.depth},
         .min = 1,
         .max = 64,
         .help = "hidden layers (flow: of each coupling network; gpt: transformer blocks)"},
        {.name = "init",
         .type = ConfigKey::Type::kString,
         .default_value = init_name(defaults.init),
         .choices = {"scratch", "previous"},
         .help = "each generation starts from fresh random weights (scratch) or fine-tunes "
                 "the previous generation's (previous)"},
    };
    for (ConfigKey& key : keys) {
        key.vectors = vectors;
        key.text = text;
    }
    return keys;
}

TrainingOptions training_options(const Params& params) {
    TrainingOptions options;
    options.epochs = static_cast<int>(params.get_int("epochs"));
    options.steps = params.get_int("steps");
    options.batch_size = static_cast<int>(params.get_int("batch_size"));
    options.learning_rate = params.get_double("learning_rate");
    options.width = static_cast<int>(params.get_int("width"));
    options.depth = static_cast<int>(params.get_int("depth"));
    options.init = params.get_string("init") == "previous" ? TrainingOptions::Init::kPrevious
                                                           : TrainingOptions::Init::kScratch;
    return options;
}

}  // namespace madlab
