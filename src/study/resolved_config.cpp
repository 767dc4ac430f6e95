#include "madlab/study/resolved_config.h"

#include <sstream>
#include <variant>

namespace madlab {

namespace {

using nlohmann::json;

// The resolved keys of one chain as a flat map "section.key" -> JSON value. Only keys that apply
// to the chosen source kind and model family are listed.
json flat_json(const ChainConfig& c) {
    json j = json::object();
    j["source.kind"] = c.source.kind;
    const bool image = c.source.kind == "idx" || c.source.kind == "digits";
    if (c.source.kind == "csv" || c.source.kind == "npy" || image) {
        j["source.path"] = c.source.path;
        j["source.test_fraction"] = c.source.test_fraction;
        j["source.split_seed"] = c.source.split_seed;
    }
    if (image) {
        if (c.source.kind == "idx") j["source.labels_path"] = c.source.labels_path;
        j["source.labels"] = c.source.labels;
        j["model.pca_components"] = c.model.pca_components;
        j["metrics.features"] = c.metrics.features;
        if (c.metrics.features == "pca") j["metrics.pca_components"] = c.metrics.feature_components;
    }
    if (c.source.kind == "text") {
        j["source.path"] = c.source.path;
        j["source.tokens"] = c.source.tokens;
        j["source.held_out_every"] = c.source.held_out_every;
        if (c.source.test_fraction > 0.0) j["source.test_fraction"] = c.source.test_fraction;
        j["source.split_seed"] = c.source.split_seed;
        j["source.split_sentences"] = c.source.split_sentences;
        j["source.jsonl_field"] = c.source.jsonl_field;
    }
    if (c.source.kind == "gaussian") {
        j["source.dim"] = c.source.dim;
        j["source.mean"] = c.source.mean;
        if (c.source.covariance.empty())
            j["source.covariance"] = c.source.isotropic_variance;
        else
            j["source.covariance"] = c.source.covariance;
    }
    if (c.source.kind == "linear-regression") {
        j["source.dim"] = c.source.dim;
        if (!c.source.weights.empty()) j["source.weights"] = c.source.weights;  // else 1/sqrt(d)
        j["source.noise"] = c.source.noise;
    }
    if (c.source.kind == "categorical") j["source.probabilities"] = c.source.probabilities;
    if (c.source.kind == "zipf") {
        j["source.categories"] = c.source.categories;
        j["source.zipf_exponent"] = c.source.zipf_exponent;
    }
    if (c.source.kind == "words") {
        j["source.path"] = c.source.path;
        j["source.categories"] = c.source.categories;
        j["source.tokens"] = c.source.tokens;
        j["source.jsonl_field"] = c.source.jsonl_field;
    }
    j["model.family"] = c.model.family;
    j["model.bias"] = c.model.bias;
    // The family's keys, by its table (every key that applies, set or default).
    for (const auto& [name, value] : c.model.params.values())
        std::visit([&, &key = name](const auto& v) { j["model." + key] = v; }, value);
    j["schedule.preset"] = c.preset;
    j["schedule.n"] = c.n;
    j["schedule.n_real_initial"] = c.schedule.n_real_initial;
    j["schedule.n_synthetic"] = c.schedule.n_synthetic;
    j["schedule.n_real_fixed"] = c.schedule.n_real_fixed;
    j["schedule.n_real_fresh"] = c.schedule.n_real_fresh;
    j["schedule.accumulate"] = c.schedule.accumulate;
    j["schedule.subsample"] = c.schedule.subsample;
    j["schedule.synthetic_from_last_k"] = c.schedule.synthetic_from_last_k;
    if (c.source.kind != "text") j["metrics.list"] = c.metrics.names;
    j["metrics.n_eval"] = c.metrics.n_eval;
    j["metrics.n_test"] = c.metrics.n_test;
    for (const auto& [name, value] : c.metrics.params.values())
        std::visit([&, &key = name](const auto& v) { j["metrics." + key] = v; }, value);
    j["metrics.collapse_ratio"] = c.metrics.collapse_ratio;
    j["metrics.token_budget"] = c.metrics.token_budget;
    return j;
}

json nest(const json& flat) {
    json out = json::object();
    for (const auto& [key, value] : flat.items()) {
        const auto dot = key.find('.');
        out[key.substr(0, dot)][key.substr(dot + 1)] = value;
    }
    return out;
}

// A JSON leaf as TOML text (strings quoted, arrays bracketed).
std::string toml_value(const json& v) {
    if (v.is_string()) {
        std::ostringstream s;
        s << toml::value<std::string>(v.get<std::string>());
        return s.str();
    }
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_float()) {
        std::ostringstream s;
        s << toml::value<double>(v.get<double>());
        return s.str();
    }
    if (v.is_array()) {
        std::string out = "[";
        for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + toml_value(v[i]);
        return out + "]";
    }
    return v.dump();
}

}  // namespace

nlohmann::json to_json(const ChainConfig& config) { return nest(flat_json(config)); }

nlohmann::json to_json(const StudyConfig& study) {
    json j;
    j["study"] = {{"name", study.name},
                  {"description", study.description},
                  {"seeds", study.seeds},
                  {"seed", study.first_seed},
                  {"generations", study.generations},
                  {"threads", study.threads},
                  {"sample_generations", study.sample_generations},
                  {"sample_points", study.sample_points},
                  {"sample_lines", study.sample_lines},
                  {"parameters", study.parameters}};
    j["base"] = to_json(study.base);
    j["settings"] = json::array();
    for (const auto& s : study.settings)
        j["settings"].push_back({{"name", s.name}, {"config", to_json(s.config)}});
    return j;
}

std::string to_toml(const StudyConfig& study) {
    std::ostringstream out;
    out << "# Resolved configuration written by madlab " << MADLAB_VERSION
        << "; every key has its final value.\n";
    out << "[study]\n";
    out << "name = " << toml_value(study.name) << "\n";
    out << "description = " << toml_value(study.description) << "\n";
    out << "seeds = " << study.seeds << "\n";
    out << "seed = " << study.first_seed << "\n";
    out << "generations = " << study.generations << "\n";
    out << "threads = " << study.threads << "\n";
    out << "sample_generations = " << toml_value(json(study.sample_generations)) << "\n";
    out << "sample_points = " << study.sample_points << "\n";
    out << "sample_lines = " << study.sample_lines << "\n";
    // The parameter columns: the [sweep] is written out as [[settings]], so its keys are kept
    // here.
    if (!study.parameters.empty())
        out << "parameters = " << toml_value(json(study.parameters)) << "\n";
    const json base = flat_json(study.base);
    const json nested = nest(base);
    for (const auto& [section, keys] : nested.items()) {
        out << "\n[" << section << "]\n";
        for (const auto& [key, value] : keys.items())
            out << key << " = " << toml_value(value) << "\n";
    }
    // Settings list every key whose resolved value differs from the base, plus keys that only
    // exist in the setting (another family's options, say), so that reading back gives the same.
    if (!study.explicit_settings) return out.str();
    for (const auto& s : study.settings) {
        out << "\n[[settings]]\nname = " << toml_value(s.name) << "\n";
        if (!s.label.empty() && s.label != s.name) out << "label = " << toml_value(s.label) << "\n";
        const json flat = flat_json(s.config);
        for (const auto& [key, value] : flat.items()) {
            // A setting that changes the source kind or model family drops the base's keys of
            // that section when read (study_config.cpp), so all of them are written.
            const bool new_source =
                key.rfind("source.", 0) == 0 && flat["source.kind"] != base["source.kind"];
            const bool new_model =
                key.rfind("model.", 0) == 0 && flat["model.family"] != base["model.family"];
            if (!new_source && !new_model && base.contains(key) && base[key] == value) continue;
            out << "\"" << key << "\" = " << toml_value(value) << "\n";
        }
        // A key present in the base but absent in the setting (e.g. family changed): the
        // reader rejects keys that do not apply, so they cannot be written; the setting's
        // family defines them.
    }
    return out.str();
}

}  // namespace madlab
