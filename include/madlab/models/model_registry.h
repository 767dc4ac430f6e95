#pragma once
// The registry of model families: one extension point, filled by the families themselves. A
// family registers itself in its own source file with a ModelFamilyRegistrar: its name, the
// kinds of data it models, a declarative table of its config keys (model.<key>: type, default,
// range or choices, one line of help) and factories that build an unfitted model from the
// values read for those keys. The table drives everything else: the study reader checks and
// reads the keys by it (types, ranges, "does not apply to this family", the "did you mean"
// suggestions), the resolved config.toml lists them by it, and `madlab keys --markdown` writes
// the family part of docs/config.md from it (a test checks the committed file against it).
// Adding a family is therefore its own header and source, its tests and its benchmark, with no
// edit anywhere else (tests/unit/study/new_family_test.cpp shows one defined in a test file).
//
// Registrars are static objects; the library's families are linked whole (CMake links
// madlab_models as a whole archive), so none is dropped by the linker.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "madlab/core/config_key.h"
#include "madlab/data/text_source.h"
#include "madlab/models/generative_model.h"

namespace madlab {

struct ModelFamily {
    std::string name;  // model.family
    std::string help;  // one line: what the family is
    std::vector<ConfigKey> keys;
    // Builds an unfitted model of vectors / images (nullptr factory: the family has none).
    std::function<std::unique_ptr<ContinuousModel>(const Params&)> make_vectors;
    // Builds an unfitted language model for the text of `source` (nullptr: no text).
    std::function<std::unique_ptr<TextModel>(const Params&, const TextSource&)> make_text;
    // Checks that go beyond one key's type and range; throws ConfigError whose message starts
    // with the key it is about ("model.sample = ..."). Optional.
    std::function<void(const Params&, bool text)> check;
    // The default of model.pca_components for image sources: 20 for the density families,
    // which need a low dimension; 0 (pixels) for neural families that model images directly.
    std::int64_t image_pca_components = 20;

    bool models_vectors() const { return static_cast<bool>(make_vectors); }
    bool models_text() const { return static_cast<bool>(make_text); }
    // The keys that apply to a study of vectors (text = false) or of text.
    std::vector<const ConfigKey*> keys_for(bool text) const;
    // Every key that applies, at its default.
    Params defaults(bool text) const;
};

// Registers `family` when constructed (a static object in the family's source file). Throws
// Error at start-up if a family of that name is already registered.
class ModelFamilyRegistrar {
public:
    explicit ModelFamilyRegistrar(ModelFamily family);
};

// The registered families, sorted by name.
std::vector<const ModelFamily*> model_families();
// The family of that name, or nullptr.
const ModelFamily* find_model_family(const std::string& name);

}  // namespace madlab
