#include "python_model.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arrays.h"
#include "madlab/core/error.h"
#include "madlab/data/text_reader.h"
#include "madlab/models/model_registry.h"
#include "madlab/models/text_model.h"

namespace madlab::python {

ModelObjects& ModelObjects::current() {
    static ModelObjects* objects = new ModelObjects();  // never destroyed: it holds py::objects
    return *objects;
}

std::string chosen_model(const std::string& configured, const std::vector<std::string>& names) {
    if (names.empty())
        throw ConfigError(
            "model.family = \"python\" needs the model objects: run the study from Python with "
            "madlab.run(config, models={\"name\": MyModel}) (docs/python.md)");
    if (configured.empty()) {
        if (names.size() != 1)
            throw ConfigError(
                fmt::format("model.object is not set and madlab.run was given {} "
                            "models; set model.object to one of \"{}\"",
                            names.size(), fmt::join(names, "\", \"")));
        return names.front();
    }
    if (std::find(names.begin(), names.end(), configured) == names.end())
        throw ConfigError(
            fmt::format("model.object = \"{}\": madlab.run was given no model of "
                        "that name; its models are \"{}\"",
                        configured, fmt::join(names, "\", \"")));
    return configured;
}

void ModelObjects::begin(const py::dict& factories) {
    if (active_)
        throw Error(
            "another madlab.run with Python models is running in this process; run "
            "one at a time (a model cannot start a study from inside fit or sample)");
    std::map<std::string, py::object> named;
    for (const auto& [name, factory] : factories) {
        if (!py::isinstance<py::str>(name))
            throw ConfigError(fmt::format("models: names must be strings, got {}",
                                          py::str(py::repr(name)).cast<std::string>()));
        named[name.cast<std::string>()] = py::reinterpret_borrow<py::object>(factory);
    }
    factories_ = std::move(named);
    active_ = true;
}

void ModelObjects::end() {
    objects_.clear();
    factories_.clear();
    active_ = false;
}

py::object ModelObjects::object(const std::string& name, const std::string& setting,
                                std::uint64_t seed) {
    std::vector<std::string> names;
    for (const auto& [n, f] : factories_) names.push_back(n);
    const std::string chosen = chosen_model(name, names);
    auto& object = objects_[{chosen, setting, seed}];
    if (!object) {
        py::object made = factories_.at(chosen)();
        if (py::hasattr(made, "state") != py::hasattr(made, "load_state"))
            throw ConfigError(fmt::format(
                "model '{}': the object has {}() but no {}(); give both (checkpoints) or neither "
                "(a resumed chain refits its last model)",
                chosen, py::hasattr(made, "state") ? "state" : "load_state",
                py::hasattr(made, "state") ? "load_state" : "state"));
        object = std::move(made);
    }
    return object;
}

ModelObjectsScope::ModelObjectsScope(const py::dict& factories) {
    if (factories.empty()) return;
    ModelObjects::current().begin(factories);
    active_ = true;
}

ModelObjectsScope::~ModelObjectsScope() {
    if (active_) ModelObjects::current().end();
}

namespace {

// Where a call happens, for messages: "python model 'gmm' (setting 'replace', seed 3,
// generation 2)".
struct Place {
    std::string name;
    std::string setting;
    std::uint64_t seed = 0;
    int generation = -1;
    std::string describe() const {
        return fmt::format("python model{} (setting '{}', seed {}, generation {})",
                           name.empty() ? "" : " '" + name + "'", setting, seed, generation);
    }
};

// Runs `call` with the GIL held; a Python exception becomes madlab::Error naming the place and
// the method.
template <class F>
auto with_python(const Place& place, const char* method, F&& call) {
    py::gil_scoped_acquire gil;
    try {
        return call(ModelObjects::current().object(place.name, place.setting, place.seed));
    } catch (py::error_already_set& e) {
        throw Error(fmt::format("{}: {}() raised {}", place.describe(), method, e.what()));
    } catch (const py::cast_error& e) {
        throw Error(fmt::format("{}: {}() returned a value madlab cannot use: {}", place.describe(),
                                method, e.what()));
    }
}

// Every key of the family; `text` keys apply to text only.
std::vector<ConfigKey> python_keys() {
    return {{.name = "object",
             .type = ConfigKey::Type::kString,
             .default_value = std::string(),
             .help = "the name of the model in madlab.run(config, models={name: ...}) (\"\" = "
                     "the only one given)"},
            {.name = "parallel",
             .type = ConfigKey::Type::kBool,
             .default_value = false,
             .help = "the model may be called from several chains at once (it releases the "
                     "GIL itself); false runs the study's chains one at a time"},
            max_line_length_key()};
}

// The Python side's values of a fit context.
py::object fit_context(const Place& place, std::uint64_t fit_seed, std::span<const int> origin,
                       const std::string& folder) {
    py::array_t<int> provenance(static_cast<py::ssize_t>(origin.size()));
    std::copy(origin.begin(), origin.end(), provenance.mutable_data());
    return py::module_::import("types").attr("SimpleNamespace")(
        py::arg("generation") = place.generation, py::arg("seed") = place.seed,
        py::arg("setting") = place.setting, py::arg("fit_seed") = fit_seed,
        py::arg("provenance") = provenance, py::arg("folder") = folder);
}

// A score's return value as named values: a number is `default_name`, a dict names its own.
NamedValues named_values(const py::handle& value, const char* default_name) {
    if (value.is_none()) return {};
    if (py::isinstance<py::dict>(value)) {
        NamedValues out;
        for (const auto& [k, v] : value.cast<py::dict>())
            out.emplace_back(k.cast<std::string>(), v.cast<double>());
        return out;
    }
    return {{default_name, value.cast<double>()}};
}

// What the two kinds of data differ in: conversion to and from Python, and the default name of
// a score.
template <class Data>
struct Kind;

template <>
struct Kind<Matrix> {
    static constexpr const char* kScore = "nll";
    struct Extra {};
    static py::object to_python(const Matrix& x, const Extra&) { return to_numpy(x); }
    static Matrix from_python(const py::handle& value, std::size_t n, Eigen::Index columns,
                              const Extra&, const Place& place) {
        // Non-finite samples are the model's result, not bad input: the metrics leave them out
        // as they do for every family.
        const PointsArg points(value, place.describe() + ": sample()", false);
        const MatrixView& view = points.view();
        if (static_cast<std::size_t>(view.rows()) != n || view.cols() != columns)
            throw Error(
                fmt::format("{}: sample({}) returned an array of shape ({}, {}); "
                            "madlab asked for ({}, {}), the training data's width",
                            place.describe(), n, view.rows(), view.cols(), n, columns));
        return Matrix(view);
    }
    static Eigen::Index width(const Matrix& x) { return x.cols(); }
};

template <>
struct Kind<Corpus> {
    static constexpr const char* kScore = "perplexity";
    struct Extra {
        std::shared_ptr<const Vocabulary> vocabulary;
        TextOptions::Tokens tokens = TextOptions::Tokens::kWhitespace;
        std::size_t max_line_length = 200;
    };
    static py::object to_python(const Corpus& corpus, const Extra& extra) {
        const std::string_view unk =
            extra.tokens == TextOptions::Tokens::kCharacter ? kCharUnkText : std::string_view{};
        py::list lines;
        for (std::size_t i = 0; i < corpus.lines(); ++i)
            lines.append(py::str(detokenize(corpus.line(i), *extra.vocabulary, extra.tokens, unk)));
        return lines;
    }
    static Corpus from_python(const py::handle& value, std::size_t n, Eigen::Index,
                              const Extra& extra, const Place& place) {
        if (!py::isinstance<py::list>(value) && !py::isinstance<py::tuple>(value))
            throw Error(fmt::format(
                "{}: sample({}) must return a list of {} strings, got {}", place.describe(), n, n,
                py::str(value.get_type().attr("__name__")).cast<std::string>()));
        const auto lines = value.cast<std::vector<std::string>>();
        if (lines.size() != n)
            throw Error(fmt::format("{}: sample({}) returned {} lines; madlab asked for {}",
                                    place.describe(), n, lines.size(), n));
        Corpus out;
        out.vocabulary = extra.vocabulary;
        for (const std::string& line : lines) {
            if (find_invalid_utf8(line) != std::string::npos)
                throw Error(fmt::format("{}: sample() returned a line that is not valid UTF-8",
                                        place.describe()));
            append_sampled_line(out, line, extra.tokens, extra.max_line_length);
        }
        return out;
    }
    static Eigen::Index width(const Corpus&) { return 0; }
};

// A GenerativeModel whose work is done by the Python object of its chain. Holds no Python
// object itself (clones are made without the GIL): the object is looked up by its place.
template <class Data, class Base>
class PythonModel : public Base {
public:
    PythonModel(std::string name, typename Kind<Data>::Extra extra) : extra_(std::move(extra)) {
        place_.name = std::move(name);
    }
    std::string family() const override { return "python"; }
    std::unique_ptr<GenerativeModel<Data>> clone() const override {
        return std::make_unique<PythonModel>(*this);
    }
    // The state is the training data's width (8 bytes) and then the object's state() bytes.
    std::optional<std::string> save_state() const override {
        return with_python(place_, "state", [&](py::object model) -> std::optional<std::string> {
            if (!py::hasattr(model, "state")) return std::nullopt;
            const py::object state = model.attr("state")();
            if (!py::isinstance<py::bytes>(state))
                throw Error(fmt::format("{}: state() must return bytes (e.g. pickle.dumps(...))",
                                        place_.describe()));
            const std::int64_t width = width_;
            std::string out(reinterpret_cast<const char*>(&width), sizeof width);
            return out + state.cast<std::string>();
        });
    }

protected:
    FitInfo do_fit(const Data& train, FitContext<Data>& context) override {
        set_place(context);
        width_ = Kind<Data>::width(train);
        const std::uint64_t fit_seed = context.rng.next_u64();
        with_python(place_, "fit", [&](py::object model) {
            model.attr("fit")(Kind<Data>::to_python(train, extra_),
                              fit_context(place_, fit_seed, context.origin, context.work_dir));
            return 0;
        });
        return {};
    }
    Data do_sample(std::size_t n, double bias, Rng& rng, std::string_view) const override {
        const std::uint64_t seed = rng.next_u64();
        return with_python(place_, "sample", [&](py::object model) {
            const py::object out = model.attr("sample")(n, bias, seed);
            return Kind<Data>::from_python(out, n, width_, extra_, place_);
        });
    }
    NamedValues do_score_held_out(const Data& real) const override {
        return with_python(place_, "score", [&](py::object model) {
            if (!py::hasattr(model, "score")) return NamedValues{};
            return named_values(model.attr("score")(Kind<Data>::to_python(real, extra_)),
                                Kind<Data>::kScore);
        });
    }
    void do_restore_state_at(const std::string& state, const FitContext<Data>& context) override {
        set_place(context);
        std::int64_t width = 0;
        if (state.size() < sizeof width)
            throw DataError(
                fmt::format("{}: the checkpoint's model state is truncated", place_.describe()));
        std::memcpy(&width, state.data(), sizeof width);
        width_ = static_cast<Eigen::Index>(width);
        with_python(place_, "load_state", [&](py::object model) {
            if (!py::hasattr(model, "load_state"))
                throw Error(
                    fmt::format("{}: the checkpoint holds the bytes of state(), but the "
                                "object has no load_state(data)",
                                place_.describe()));
            model.attr("load_state")(py::bytes(state.substr(sizeof width)));
            return 0;
        });
    }

private:
    void set_place(const FitContext<Data>& context) {
        place_.setting = context.setting;
        place_.seed = context.seed;
        place_.generation = context.generation;
    }

    Place place_;
    typename Kind<Data>::Extra extra_;
    Eigen::Index width_ = 0;
};

// Text models tell the metrics that their vocabulary is open: sampled words outside the corpus
// become <unk> and their share is recorded.
class PythonTextBase : public TextModel, public TextVocabulary {
public:
    bool knows_vocabulary() const override { return false; }
    bool open_vocabulary() const override { return true; }
};

const ModelFamilyRegistrar kPythonFamily(ModelFamily{
    .name = "python",
    .help = "a Python object in this process (madlab.run(config, models=...), docs/python.md)",
    .keys = python_keys(),
    .make_vectors =
        [](const Params& p) {
            return std::unique_ptr<ContinuousModel>(
                std::make_unique<PythonModel<Matrix, ContinuousModel>>(p.get_string("object"),
                                                                       Kind<Matrix>::Extra{}));
        },
    .make_text =
        [](const Params& p, const TextSource& source) {
            Kind<Corpus>::Extra extra{source.vocabulary_ptr(), source.text_options().tokens,
                                      static_cast<std::size_t>(p.get_int("max_line_length"))};
            return std::unique_ptr<TextModel>(std::make_unique<PythonModel<Corpus, PythonTextBase>>(
                p.get_string("object"), std::move(extra)));
        },
    // Python models hold whatever pixels they are given: images as pixels, not PCA.
    .image_pca_components = 0,
});

}  // namespace
}  // namespace madlab::python
