// The `external` family's registration: one family for both kinds of data (ExternalModel for
// vectors and images, ExternalTextModel for text), its keys and their checks.

#include <fmt/core.h>

#include "madlab/core/error.h"
#include "madlab/models/external.h"
#include "madlab/models/external_text.h"
#include "madlab/models/model_registry.h"
#include "madlab/models/text_model.h"

namespace madlab {
namespace {

ExternalOptions external_options(const Params& p, bool text) {
    ExternalOptions options;
    options.fit = p.get_string("fit");
    options.sample = p.get_string("sample");
    options.timeout_s = p.get_double("timeout_s");
    options.retries = static_cast<int>(p.get_int("retries"));
    options.prune = p.get_bool("prune");
    options.work_dir = p.get_string("work_dir");
    if (text) options.score = p.get_string("score");
    return options;
}

ConfigKey command_key(const char* name, const char* help, bool vectors = true) {
    return {.name = name,
            .type = ConfigKey::Type::kString,
            .default_value = std::string(),
            .help = help,
            .vectors = vectors};
}

const ModelFamilyRegistrar kExternalFamily({
    .name = "external",
    .help = "your own model as shell commands that exchange files (docs/external.md)",
    .keys = {command_key("fit",
                         "required: the training command, with placeholders {train}, "
                         "{model_dir}, {seed}... (docs/external.md)"),
             command_key("sample",
                         "required: the sampling command, with {model_dir}, {n}, {bias}, "
                         "{samples}, {seed}... (docs/external.md)"),
             {.name = "timeout_s",
              .type = ConfigKey::Type::kDouble,
              .default_value = 3600.0,
              .max = 1e9,
              .help = "a command running longer is killed with its process group (0 = no limit)"},
             {.name = "retries",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{0},
              .min = 0,
              .max = 100,
              .help = "extra attempts after a failed command"},
             {.name = "prune",
              .type = ConfigKey::Type::kBool,
              .default_value = false,
              .help = "delete a generation's files once no later generation samples from it"},
             command_key("work_dir", "root of the per-generation files (\"\" = DIR/models)"),
             command_key("score",
                         "optional: the command that writes the log-probability of each "
                         "held-out real line to {scores} (from {model_dir} and {text}); without "
                         "it perplexity is not recorded",
                         false),
             max_line_length_key()},
    .make_vectors =
        [](const Params& p) {
            return std::unique_ptr<ContinuousModel>(
                std::make_unique<ExternalModel>(external_options(p, false)));
        },
    .make_text =
        [](const Params& p, const TextSource& source) {
            return std::unique_ptr<TextModel>(std::make_unique<ExternalTextModel>(
                external_options(p, true), source.vocabulary_ptr(), source.text_options().tokens,
                static_cast<std::size_t>(p.get_int("max_line_length"))));
        },
    // The commands and their placeholders (the message starts with the key at fault).
    .check = [](const Params& p,
                bool text) { check_external_commands(external_options(p, text), text); },
});

}  // namespace
}  // namespace madlab
