#pragma once
// A config key declared by the code that reads it (a model family, a metric): its name, type,
// default, range or choices and one line of help, and the values read for such keys. The
// registries of the extension points (models/model_registry.h, metrics/metric_registry.h) hold
// tables of them; the study reader, config.toml and `madlab keys` work from those tables.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

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

}  // namespace madlab
