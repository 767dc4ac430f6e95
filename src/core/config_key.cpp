#include "madlab/core/config_key.h"

#include <fmt/core.h>

#include "madlab/core/error.h"

namespace madlab {

namespace {

std::string number_text(double v) { return fmt::format("{}", v); }

}  // namespace

std::string ConfigKey::describe_range() const {
    const auto quoted_choices = [&] {
        std::string out;
        for (std::size_t i = 0; i < choices.size(); ++i)
            out += fmt::format("{}\"{}\"",
                               i == 0                    ? ""
                               : i + 1 == choices.size() ? " or "
                                                         : ", ",
                               choices[i]);
        return out;
    };
    const auto interval = [&] {
        if (max >= 9.2e18) return fmt::format("{} {}", min_open ? ">" : ">=", number_text(min));
        return fmt::format("in {}{}, {}]", min_open ? "(" : "[", number_text(min),
                           number_text(max));
    };
    switch (type) {
        case Type::kBool:
            return "true or false";
        case Type::kInt:
            return "integer " + interval();
        case Type::kDouble:
            return "number " + interval();
        case Type::kString:
            return choices.empty() ? "string" : quoted_choices();
        case Type::kNumberOrChoice:
            return quoted_choices() + " or a number " + interval();
    }
    return "";
}

const ParamValue& Params::at(const std::string& name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) throw Error(fmt::format("{} has no value", name));
    return it->second;
}

bool Params::get_bool(const std::string& name) const {
    if (const auto* v = std::get_if<bool>(&at(name))) return *v;
    throw Error(fmt::format("{} is not a boolean", name));
}

std::int64_t Params::get_int(const std::string& name) const {
    if (const auto* v = std::get_if<std::int64_t>(&at(name))) return *v;
    throw Error(fmt::format("{} is not an integer", name));
}

double Params::get_double(const std::string& name) const {
    const ParamValue& value = at(name);
    if (const auto* v = std::get_if<double>(&value)) return *v;
    if (const auto* v = std::get_if<std::int64_t>(&value)) return static_cast<double>(*v);
    throw Error(fmt::format("{} is not a number", name));
}

const std::string& Params::get_string(const std::string& name) const {
    if (const auto* v = std::get_if<std::string>(&at(name))) return *v;
    throw Error(fmt::format("{} is not a string", name));
}

}  // namespace madlab
