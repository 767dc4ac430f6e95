#include "madlab/models/model_registry.h"

#include "madlab/core/registry.h"

namespace madlab {

std::vector<const ConfigKey*> ModelFamily::keys_for(bool text) const {
    std::vector<const ConfigKey*> out;
    for (const ConfigKey& key : keys)
        if (text ? key.text : key.vectors) out.push_back(&key);
    return out;
}

Params ModelFamily::defaults(bool text) const {
    Params params;
    for (const ConfigKey* key : keys_for(text)) params.set(key->name, key->default_value);
    return params;
}

ModelFamilyRegistrar::ModelFamilyRegistrar(ModelFamily family) {
    Registry<ModelFamily>::add(std::move(family), "model family");
}

std::vector<const ModelFamily*> model_families() { return Registry<ModelFamily>::all(); }

const ModelFamily* find_model_family(const std::string& name) {
    return Registry<ModelFamily>::find(name);
}

}  // namespace madlab
