#include "madlab/models/model_registry.h"

#include <fmt/core.h>

#include <algorithm>

#include "madlab/core/error.h"

namespace madlab {

namespace {

// Filled by the registrars during static initialisation; a function-local static is constructed
// on first use, whatever the order in which the families' files are initialised.
std::map<std::string, ModelFamily>& registry() {
    static std::map<std::string, ModelFamily> families;
    return families;
}

}  // namespace

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
    const std::string name = family.name;
    if (!registry().emplace(name, std::move(family)).second)
        throw Error(fmt::format("two model families are registered as '{}'", name));
}

std::vector<const ModelFamily*> model_families() {
    std::vector<const ModelFamily*> out;
    for (const auto& [name, family] : registry()) out.push_back(&family);
    return out;
}

const ModelFamily* find_model_family(const std::string& name) {
    const auto it = registry().find(name);
    return it == registry().end() ? nullptr : &it->second;
}

}  // namespace madlab
