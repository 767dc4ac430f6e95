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
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "madlab/data/text_source.h"
#include "madlab/models/generative_model.h"

namespace madlab {

// The value of one config key: TOML's boolean, integer, float or string.
using ParamValue = std::variant<bool, std::int64_t, double, std::string>;

// One config key of a family (the key model.<name>).
struct ConfigKey {
    enum class Type {
        kBool,
        kInt,             // in [min, max]
        kDouble,          // in [min, max], or (min, max] with min_open
        kString,          // one of `choices` when it has any
        kNumberOrChoice,  // a number in (min, max] style range, or one of `choices`
    };
    std::string name;  // without the section: "components"
    Type type = Type::kDouble;
    ParamValue default_value;  // of the key's type (kNumberOrChoice: a choice or a double)
    double min = 0.0;
    double max = 1e300;  // no upper bound (from 9.2e18 on, for integers too)
    bool min_open = false;
    std::vector<std::string> choices;
    std::string help;  // one line: what it does
    // Which studies the key applies to (a text-only key of a family that models both kinds).
    bool vectors = true;
    bool text = true;

    // "integer in [1, 100000]", "number in (0, 1]", "true or false", "\"mle\" or \"unbiased\"".
    std::string describe_range() const;
};

// The values of a family's keys for one setting: every key that applies, set or default.
class Params {
public:
    void set(const std::string& name, ParamValue value) { values_[name] = std::move(value); }
    bool has(const std::string& name) const { return values_.contains(name); }
    const ParamValue& at(const std::string& name) const;

    // Typed access; throws Error naming the key when it is missing or of another type (a
    // family reading a key it did not declare is a programming error).
    bool get_bool(const std::string& name) const;
    std::int64_t get_int(const std::string& name) const;
    double get_double(const std::string& name) const;  // also an integer value
    const std::string& get_string(const std::string& name) const;

    // In key order.
    const std::map<std::string, ParamValue>& values() const { return values_; }

private:
    std::map<std::string, ParamValue> values_;
};

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
