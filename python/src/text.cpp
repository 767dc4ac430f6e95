#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "bindings.h"
#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "madlab/data/text_reader.h"
#include "madlab/metrics/text_metrics.h"
#include "madlab/models/ngram.h"

namespace madlab::python {

namespace {

// "word" (whitespace-separated words, KenLM's tokens) or "char" (Unicode code points).
TextOptions text_options(const std::string& tokens) {
    if (tokens != "word" && tokens != "char")
        throw ConfigError("tokens = '" + tokens + "': choose \"word\" or \"char\"");
    TextOptions options;
    options.tokens =
        tokens == "char" ? TextOptions::Tokens::kCharacter : TextOptions::Tokens::kWhitespace;
    return options;
}

// Lines as a corpus with its own vocabulary; a line without tokens is dropped, as a text
// source's reader drops it.
Corpus corpus_of(const std::vector<std::string>& lines, const std::string& tokens) {
    return make_corpus(lines, text_options(tokens));
}

std::size_t budget(long long max_tokens) {
    if (max_tokens <= 0)
        throw ConfigError("max_tokens = " + std::to_string(max_tokens) +
                          ": give a positive token budget (the loop's metrics.token_budget)");
    return static_cast<std::size_t>(max_tokens);
}

// An n-gram model with the vocabulary of its training text and its tokenisation.
class PyNgramModel {
public:
    PyNgramModel(int order, const std::string& tokens, bool discount_fallback, int top_k,
                 double top_p)
        : tokens_name_(tokens), text_(text_options(tokens)), model_([&] {
              NgramOptions options;
              options.order = order;
              options.fallback = discount_fallback ? NgramOptions::DiscountFallback::kDefault
                                                   : NgramOptions::DiscountFallback::kError;
              options.top_k = top_k;
              options.top_p = top_p;
              return options;
          }()) {}

    // The model is read and written without the GIL: Python threads sharing one model take
    // `lock_` (fit: alone; perplexity and sample: together).
    void fit(const std::vector<std::string>& lines) {
        Corpus train = make_corpus(lines, text_);
        if (train.lines() == 0)
            throw DataError("NgramModel.fit: no line with a token; give non-empty lines");
        py::gil_scoped_release release;
        const std::unique_lock lock(lock_);
        model_.fit(train);
        vocabulary_ = train.vocabulary;
    }

    py::dict perplexity(const std::vector<std::string>& lines) const {
        NgramModel::Perplexity p;
        {
            py::gil_scoped_release release;
            const std::shared_lock lock(lock_);
            const Corpus text = encode_with(lines, fitted_vocabulary(), text_);
            p = model_.perplexity(text);
        }
        py::dict out;
        out["perplexity"] = p.perplexity;
        out["perplexity_excluding_oov"] = p.perplexity_excluding_oov;
        out["tokens"] = p.tokens;
        out["oov"] = p.oov;
        out["log10_sum"] = p.log10_sum;
        return out;
    }

    std::vector<std::string> sample(std::size_t n, double temperature, std::uint64_t seed,
                                    std::size_t max_length) const {
        std::shared_ptr<const Vocabulary> vocabulary;
        Rng rng(seed);
        Corpus lines;
        {
            py::gil_scoped_release release;
            const std::shared_lock lock(lock_);
            vocabulary = fitted_vocabulary();
            lines = model_.sample(n, temperature, rng, max_length);
        }
        std::vector<std::string> out;
        out.reserve(lines.lines());
        const std::string_view unk =
            text_.tokens == TextOptions::Tokens::kCharacter ? kCharUnkText : std::string_view{};
        for (std::size_t i = 0; i < lines.lines(); ++i)
            out.push_back(detokenize(lines.line(i), *vocabulary, text_.tokens, unk));
        return out;
    }

    int order() const { return model_.order(); }
    std::size_t vocabulary_size() const { return model_.vocabulary_size(); }
    const std::string& tokens() const { return tokens_name_; }
    bool fitted() const { return model_.fitted(); }

private:
    std::shared_ptr<const Vocabulary> fitted_vocabulary() const {
        if (!vocabulary_) throw Error("NgramModel: call fit(lines) first");
        return vocabulary_;
    }

    std::string tokens_name_;
    TextOptions text_;
    NgramModel model_;
    std::shared_ptr<const Vocabulary> vocabulary_;
    mutable std::shared_mutex lock_;
};

}  // namespace

void bind_text(py::module_& m) {
    m.def(
        "distinct_n",
        [](const std::vector<std::string>& lines, const std::string& tokens, long long max_tokens) {
            const Corpus corpus = corpus_of(lines, tokens);
            const DistinctN d = distinct_n(corpus, budget(max_tokens));
            py::dict out;
            out["distinct_1"] = d.d1;
            out["distinct_2"] = d.d2;
            out["distinct_3"] = d.d3;
            out["distinct_4"] = d.d4;
            out["tokens_used"] = d.tokens_used;
            return out;
        },
        py::arg("lines"), py::arg("tokens") = "word", py::arg("max_tokens") = 10000);
    m.def(
        "unigram_entropy",
        [](const std::vector<std::string>& lines, const std::string& tokens, long long max_tokens) {
            return unigram_entropy(corpus_of(lines, tokens), budget(max_tokens));
        },
        py::arg("lines"), py::arg("tokens") = "word", py::arg("max_tokens") = 10000);
    m.def(
        "zipf_exponent",
        [](const std::vector<std::string>& lines, const std::string& tokens, long long max_tokens) {
            return zipf_exponent(corpus_of(lines, tokens), budget(max_tokens));
        },
        py::arg("lines"), py::arg("tokens") = "word", py::arg("max_tokens") = 10000);
    m.def(
        "mean_line_length",
        [](const std::vector<std::string>& lines, const std::string& tokens) {
            return mean_line_length(corpus_of(lines, tokens));
        },
        py::arg("lines"), py::arg("tokens") = "word");
    m.def(
        "vocabulary_retention",
        [](const std::vector<std::string>& real, const std::vector<std::string>& model_text,
           const std::string& tokens) {
            const TextOptions options = text_options(tokens);
            auto vocabulary = std::make_shared<Vocabulary>();
            Corpus training = make_corpus(model_text, *vocabulary, options);
            Corpus real_test = make_corpus(real, *vocabulary, options);
            training.vocabulary = real_test.vocabulary = vocabulary;
            const TailLoss t = vocabulary_retention(real_test, training);
            py::dict out;
            out["lost_types"] = t.lost_types;
            out["lost_mass"] = t.lost_mass;
            out["real_types"] = t.real_types;
            out["real_tokens"] = t.real_tokens;
            return out;
        },
        py::arg("real"), py::arg("model_text"), py::arg("tokens") = "word");

    py::class_<PyNgramModel>(m, "NgramModel")
        .def(py::init<int, const std::string&, bool, int, double>(), py::arg("order") = 3,
             py::arg("tokens") = "word", py::arg("discount_fallback") = false, py::arg("top_k") = 0,
             py::arg("top_p") = 1.0)
        .def(
            "fit",
            [](py::object self, const std::vector<std::string>& lines) {
                self.cast<PyNgramModel&>().fit(lines);
                return self;
            },
            py::arg("lines"), "Fits the model to `lines` (replacing any earlier fit); returns it")
        .def("perplexity", &PyNgramModel::perplexity, py::arg("lines"))
        .def("sample", &PyNgramModel::sample, py::arg("n"), py::arg("temperature") = 1.0,
             py::arg("seed") = 0, py::arg("max_length") = 200)
        .def_property_readonly("order", &PyNgramModel::order)
        .def_property_readonly("vocabulary_size", &PyNgramModel::vocabulary_size)
        .def_property_readonly("tokens", &PyNgramModel::tokens)
        .def_property_readonly("fitted", &PyNgramModel::fitted);
}

}  // namespace madlab::python
