// Fuzz target: the chain checkpoint decoder (src/loop/checkpoint_io.h, ChainOf::restore), which
// reads the blob that a results database holds for every chain when a run is resumed. Each
// input is restored into a vector chain (a Gaussian on 2-D points) and into a text chain (an
// n-gram model); the magic bytes send it to one of them.
//
// Seeds: corpus/checkpoint, checkpoints of these two chains after each generation, written by
//   checkpoint_fuzz --write-seeds=DIR
// (run it again when the checkpoint format changes).
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "madlab/core/error.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/data/text_source.h"
#include "madlab/loop/chain.h"
#include "madlab/models/gaussian.h"
#include "madlab/models/text_model.h"

namespace {

// A schedule that keeps two models (so that a checkpoint may hold two training sets besides
// the fixed real set and the pool) over a few generations of a few points.
madlab::ScheduleOptions schedule() {
    madlab::ScheduleOptions s = madlab::schedule_preset("accumulate", 8);
    s.synthetic_from_last_k = 2;
    return s;
}

struct Chains {
    madlab::GaussianSource points{madlab::Vector::Zero(2), madlab::SquareMatrix::Identity(2, 2)};
    madlab::GaussianModel gaussian;
    // 16 lines, every 4th held out: 12 to train on, 8 a generation.
    madlab::TextSource text{
        {"el perro come", "la casa es grande", "el gato duerme", "la casa es roja",
         "el perro duerme", "un gato come", "una casa roja", "el perro es grande", "la gata come",
         "un perro come pan", "el gato es rojo", "la casa duerme", "una gata duerme",
         "el pan es grande", "un gato es un gato", "la perra come"},
        "fuzz text",
        madlab::TextSourceOptions{.held_out_every = 4}};
    madlab::NgramTextModel ngram{madlab::NgramOptions{
        .order = 2, .fallback = madlab::NgramOptions::DiscountFallback::kDefault}};

    template <class Data>
    madlab::ChainSpecOf<Data> spec(const madlab::DataSource<Data>& source,
                                   const madlab::GenerativeModel<Data>& model,
                                   std::size_t n_test) const {
        madlab::ChainSpecOf<Data> s;
        s.source = &source;
        s.prototype = &model;
        s.schedule = schedule();
        s.generations = 3;
        s.n_eval = 8;
        s.n_test = n_test;
        s.seed = 1;
        return s;
    }
    madlab::ChainSpec point_spec() const { return spec<madlab::Matrix>(points, gaussian, 8); }
    madlab::TextChainSpec text_spec() const { return spec<madlab::Corpus>(text, ngram, 0); }
};

const Chains& chains() {
    static const Chains* c = new Chains();
    return *c;
}

template <class Chain, class Spec>
void write_seeds(const std::string& dir, const std::string& name, const Spec& spec) {
    Chain chain(spec);
    for (int g = 0; !chain.done(); ++g) {
        chain.step();
        std::ofstream(dir + "/" + name + "-gen" + std::to_string(g), std::ios::binary)
            << chain.checkpoint();
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    const std::string flag = "--write-seeds=";
    for (int i = 1; i < *argc; ++i) {
        if (std::strncmp((*argv)[i], flag.c_str(), flag.size()) != 0) continue;
        const std::string dir = (*argv)[i] + flag.size();
        write_seeds<madlab::Chain>(dir, "points", chains().point_spec());
        write_seeds<madlab::TextChain>(dir, "text", chains().text_spec());
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes = madlab::fuzz::as_string(data, size);
    try {
        madlab::Chain chain(chains().point_spec());
        chain.restore(bytes);
    } catch (const madlab::Error&) {
    }
    try {
        madlab::TextChain chain(chains().text_spec());
        chain.restore(bytes);
    } catch (const madlab::Error&) {
    }
    return 0;
}
