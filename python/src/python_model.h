#pragma once
// The `python` model family: a model that is a Python object in this process (docs/python.md).
// madlab.run(config, models={"name": factory}) hands the objects' factories to ModelObjects;
// each chain (setting, seed) calls its factory once and keeps that object for all its
// generations, so a model may fine-tune its previous weights. The loop calls
//
//   obj.fit(train, ctx)        train: float64 array (n, d) or a list of str; ctx: generation,
//                              seed, setting, fit_seed, provenance (int array, -1 = real row,
//                              g = a sample of generation g's model), folder
//   obj.sample(n, bias, seed)  -> array (n, d) or a list of n str
//   obj.score(real)            optional -> a float (vectors: mean NLL in nats, text: perplexity)
//                              or a dict {name: float}
//   obj.state() / obj.load_state(bytes)  optional: checkpoints; without them resume refits
//
// Every call holds the GIL; a Python exception becomes madlab::Error naming the model, setting,
// seed, generation and call.

#include <pybind11/pybind11.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace madlab::python {

namespace py = pybind11;

// The name of the model that `configured` (model.object, "" = the only one) picks among `names`;
// throws ConfigError naming model.object when there is no such model or the choice is ambiguous.
std::string chosen_model(const std::string& configured, const std::vector<std::string>& names);

// The Python model objects of the study that is running (one at a time per process). Every
// member is used with the GIL held, which is what guards it.
class ModelObjects {
public:
    // The objects of the running study; the GIL must be held.
    static ModelObjects& current();

    // Starts a study with `factories` ({name: callable of no arguments returning a new model}).
    // Throws Error when another study with Python models is running (or this one calls
    // madlab.run from inside a model), ConfigError for a name that is not a string.
    void begin(const py::dict& factories);
    // Drops the factories and objects (GIL held).
    void end();

    // The object of chain (setting, seed) for model `name` ("" = the only one given), made by
    // its factory on first use. GIL held. Throws ConfigError naming model.object for an unknown
    // name, and for an object with state() but no load_state() (or the other way round).
    py::object object(const std::string& name, const std::string& setting, std::uint64_t seed);

private:
    bool active_ = false;
    std::map<std::string, py::object> factories_;
    std::map<std::tuple<std::string, std::string, std::uint64_t>, py::object> objects_;
};

// Holds ModelObjects::begin(factories) for a scope (GIL held at construction and destruction).
class ModelObjectsScope {
public:
    explicit ModelObjectsScope(const py::dict& factories);
    ~ModelObjectsScope();
    ModelObjectsScope(const ModelObjectsScope&) = delete;
    ModelObjectsScope& operator=(const ModelObjectsScope&) = delete;

private:
    bool active_ = false;
};

}  // namespace madlab::python
