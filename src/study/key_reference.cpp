#include "madlab/study/key_reference.h"

#include <fmt/core.h>

#include <variant>

#include "madlab/metrics/metric_registry.h"
#include "madlab/models/model_registry.h"

namespace madlab {

namespace {

// A value as it is written in a study file: "mle" quoted, numbers and booleans bare.
std::string toml_text(const ParamValue& value) {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) return fmt::format("\"{}\"", v);
            if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
            if constexpr (std::is_same_v<T, double>) {
                std::string out = fmt::format("{}", v);
                if (out.find_first_of(".en") == std::string::npos) out += ".0";
                return out;
            }
            return fmt::format("{}", v);
        },
        value);
}

std::string kinds_of(const ModelFamily& family) {
    if (family.models_vectors() && family.models_text()) return "vectors and images, text";
    return family.models_text() ? "text" : "vectors and images";
}

std::string key_kinds(const ModelFamily& family, const ConfigKey& key) {
    const bool vectors = key.vectors && family.models_vectors();
    const bool text = key.text && family.models_text();
    if (vectors && text) return "all";
    return text ? "text" : "vectors";
}

}  // namespace

std::string model_key_reference_markdown() {
    std::string out = std::string(kModelKeysBegin) + "\n";
    for (const ModelFamily* family : model_families()) {
        out +=
            fmt::format("\n### `{}` ({}): {}\n\n", family->name, kinds_of(*family), family->help);
        if (family->keys.empty()) {
            out += "No keys of its own.\n";
            continue;
        }
        out += "| key | value | default | data | meaning |\n|---|---|---|---|---|\n";
        for (const ConfigKey& key : family->keys)
            out += fmt::format("| `{}` | {} | `{}` | {} | {} |\n", key.name, key.describe_range(),
                               toml_text(key.default_value), key_kinds(*family, key), key.help);
    }
    return out + "\n" + kModelKeysEnd + "\n";
}

std::string metric_reference_markdown() {
    std::string out = std::string(kMetricsBegin) + "\n\n";
    out += "| metric | what it measures | its keys |\n|---|---|---|\n";
    for (const MetricEntry* metric : registered_metrics()) {
        std::string keys;
        for (const ConfigKey& key : metric->keys)
            keys += fmt::format("{}`{}` ({}, default `{}`): {}", keys.empty() ? "" : "; ", key.name,
                                key.describe_range(), toml_text(key.default_value), key.help);
        out += fmt::format("| `{}` | {} | {} |\n", metric->name, metric->help, keys);
    }
    return out + "\n" + kMetricsEnd + "\n";
}

std::string key_reference_text() {
    std::string out;
    for (const ModelFamily* family : model_families()) {
        out += fmt::format("model.family = \"{}\" ({}): {}\n", family->name, kinds_of(*family),
                           family->help);
        for (const ConfigKey& key : family->keys)
            out += fmt::format("  model.{} = {}  ({}; {})\n      {}\n", key.name,
                               toml_text(key.default_value), key.describe_range(),
                               key_kinds(*family, key), key.help);
    }
    for (const MetricEntry* metric : registered_metrics()) {
        out += fmt::format("metrics.list metric \"{}\": {}\n", metric->name, metric->help);
        for (const ConfigKey& key : metric->keys)
            out += fmt::format("  metrics.{} = {}  ({})\n      {}\n", key.name,
                               toml_text(key.default_value), key.describe_range(), key.help);
    }
    return out;
}

}  // namespace madlab
