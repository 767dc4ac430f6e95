#include "madlab/loop/chain.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>

#include "checkpoint_io.h"
#include "madlab/core/error.h"
#include "madlab/core/safe_file_name.h"

namespace madlab {

namespace {

using checkpoint_io::put;
using checkpoint_io::put_bytes;
using checkpoint_io::Reader;

// What differs between the kinds of data in a chain: the checkpoint's name and magic bytes, how
// rows are written and read back, and what the training set records besides its size.
template <class Data>
struct ChainKind;

template <>
struct ChainKind<Matrix> {
    static constexpr char kMagic[8] = {'M', 'A', 'D', 'C', 'H', 'K', '0', '1'};
    static constexpr char kMagicWithStates[8] = {'M', 'A', 'D', 'C', 'H', 'K', '0', '2'};
    static constexpr const char* kWhat = "chain checkpoint";

    static void put_rows(std::string& out, const Matrix& x) {
        put<std::uint64_t>(out, static_cast<std::uint64_t>(x.rows()));
        put<std::uint64_t>(out, static_cast<std::uint64_t>(x.cols()));
        put_bytes(out, x.data(), sizeof(double) * x.size());
    }
    // `like` is data of the same chain (unused for matrices).
    static Matrix get_rows(Reader& in, const Matrix& /*like*/) {
        const auto rows = in.get<std::uint64_t>();
        const auto cols = in.get<std::uint64_t>();
        // The rows' values and their origins (get_set) must fit in the bytes left, checked
        // before anything is allocated.
        if (cols > 1000000 || rows > in.left() / (sizeof(double) * cols + sizeof(int)))
            throw DataError("chain checkpoint is corrupt (impossible matrix size)");
        Matrix x(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
        in.get_bytes(x.data(), sizeof(double) * x.size());
        return x;
    }
    static void put_training_values(MetricValues& v, const TrainingSetOf<Matrix>& t) {
        v.emplace_back("train_size", static_cast<double>(t.size()));
        v.emplace_back("real_fraction", t.real_fraction());
    }
};

template <>
struct ChainKind<Corpus> {
    static constexpr char kMagic[8] = {'M', 'A', 'D', 'T', 'X', 'T', '0', '1'};
    static constexpr char kMagicWithStates[8] = {'M', 'A', 'D', 'T', 'X', 'T', '0', '2'};
    static constexpr const char* kWhat = "text chain checkpoint";

    static void put_rows(std::string& out, const Corpus& c) {
        put<std::uint64_t>(out, c.lines());
        put<std::uint64_t>(out, c.token_count());
        put_bytes(out, c.offsets.data(), sizeof(std::size_t) * c.offsets.size());
        put_bytes(out, c.tokens.data(), sizeof(TokenId) * c.tokens.size());
    }
    // Lines of the vocabulary of `like` (the chain's test set).
    static Corpus get_rows(Reader& in, const Corpus& like) {
        const auto lines = in.get<std::uint64_t>();
        const auto tokens = in.get<std::uint64_t>();
        if (lines > in.left() / sizeof(std::size_t) || tokens > in.left() / sizeof(TokenId))
            throw DataError("text chain checkpoint is corrupt (impossible corpus size)");
        Corpus c;
        c.vocabulary = like.vocabulary;
        c.offsets.resize(lines + 1);
        in.get_bytes(c.offsets.data(), sizeof(std::size_t) * c.offsets.size());
        c.tokens.resize(tokens);
        in.get_bytes(c.tokens.data(), sizeof(TokenId) * tokens);
        if (c.offsets.front() != 0 || c.offsets.back() != tokens ||
            !std::is_sorted(c.offsets.begin(), c.offsets.end()))
            throw DataError("text chain checkpoint is corrupt (line offsets)");
        for (TokenId id : c.tokens)
            if (id >= c.vocabulary->size())
                throw DataError("text chain checkpoint does not match the study's text");
        return c;
    }
    static void put_training_values(MetricValues& v, const TrainingSetOf<Corpus>& t) {
        v.emplace_back("train_size", static_cast<double>(t.size()));
        v.emplace_back("train_tokens", static_cast<double>(t.data.token_count()));
        v.emplace_back("real_fraction", t.real_fraction());
    }
};

template <class Data>
void put_set(std::string& out, const TrainingSetOf<Data>& t) {
    ChainKind<Data>::put_rows(out, t.data);
    put_bytes(out, t.origin.data(), sizeof(int) * t.origin.size());
}

template <class Data>
TrainingSetOf<Data> get_set(Reader& in, const Data& like) {
    TrainingSetOf<Data> t;
    t.data = ChainKind<Data>::get_rows(in, like);
    t.origin.resize(row_count(t.data));
    in.get_bytes(t.origin.data(), sizeof(int) * t.origin.size());
    return t;
}

}  // namespace

template <class Data>
ChainOf<Data>::ChainOf(ChainSpecOf<Data> spec) : spec_(std::move(spec)) {
    if (spec_.source == nullptr || spec_.prototype == nullptr)
        throw Error("Chain needs a real source and a model");
    validate(spec_.schedule);
    Rng test_rng = rng(0, "test");
    test_ = spec_.source->draw_test(spec_.n_test, test_rng);
}

template <class Data>
Rng ChainOf<Data>::rng(int generation, std::string_view purpose, std::uint64_t extra) const {
    return chain_stream(spec_.seed, generation, purpose, extra);
}

template <class Data>
std::string ChainOf<Data>::generation_dir(int g) const {
    if (spec_.work_dir.empty()) return "";
    namespace fs = std::filesystem;
    return fs::absolute(fs::path(spec_.work_dir) / safe_file_name(spec_.setting) /
                        fmt::format("seed-{}", spec_.seed) / fmt::format("gen-{:04}", g))
        .string();
}

template <class Data>
TrainingSetOf<Data> ChainOf<Data>::next_training_set(int generation) {
    return build_training_set(
        generation, spec_.schedule, spec_.seed, fixed_real_, pool_, recent_models_.size(),
        [&](std::size_t n, Rng& rng) {
            TrainingSetOf<Data> real;
            real.append(spec_.source->draw_train(n, rng), kRealOrigin);
            return real;
        },
        [&](std::size_t j, std::size_t n, int model_generation, Rng& rng) {
            TrainingSetOf<Data> synthetic;
            const std::string purpose = fmt::format("synthetic-{}-{}", generation, j);
            synthetic.append(recent_models_[j]->sample(n, spec_.bias, rng, purpose),
                             model_generation);
            return synthetic;
        });
}

template <class Data>
FitContext<Data> ChainOf<Data>::fit_context(int g, Rng& fit_rng) const {
    FitContext<Data> context(fit_rng);
    context.generation = g;
    context.seed = spec_.seed;
    context.setting = spec_.setting;
    context.work_dir = generation_dir(g);
    return context;
}

template <class Data>
std::unique_ptr<GenerativeModel<Data>> ChainOf<Data>::fit_model(
    int g, const TrainingSetOf<Data>& train, const GenerativeModel<Data>* previous,
    FitInfo* info) const {
    std::unique_ptr<GenerativeModel<Data>> model = spec_.prototype->clone();
    Rng fit_rng = rng(g, "fit");
    FitContext<Data> context = fit_context(g, fit_rng);
    context.origin = train.origin;
    context.previous = previous;
    FitInfo fitted = model->fit(train.data, context);
    if (info != nullptr) *info = std::move(fitted);
    return model;
}

template <class Data>
GenerationResult ChainOf<Data>::step() {
    if (done()) throw Error("Chain::step called after the last generation");
    const int g = next_generation_;
    train_ = next_training_set(g);

    GenerationResult result;
    result.generation = g;
    std::unique_ptr<GenerativeModel<Data>> model = fit_model(g, train_, last_model(), &result.fit);

    Rng eval_rng = rng(g, "eval");
    samples_ = model->sample(spec_.n_eval, spec_.bias, eval_rng, "eval");
    const MetricInputOf<Data> input{test_,      samples_,    *model, spec_.source->gaussian(),
                                    spec_.bias, spec_.source};
    for (const MetricOf<Data>* metric : spec_.metrics) {
        MetricValues values = metric->compute(input);
        result.values.insert(result.values.end(), values.begin(), values.end());
    }
    ChainKind<Data>::put_training_values(result.values, train_);
    result.values.insert(result.values.end(), result.fit.values.begin(), result.fit.values.end());

    recent_models_.push_back(std::move(model));
    recent_training_.push_back(train_);
    while (recent_models_.size() > static_cast<std::size_t>(spec_.schedule.synthetic_from_last_k)) {
        recent_models_.front()->retire();  // no later generation samples from it
        recent_models_.pop_front();
        recent_training_.pop_front();
    }
    ++next_generation_;
    return result;
}

// The checkpoint: magic bytes (version 01; 02 when a kept model saved its state), the next
// generation, the fixed real set, the pool (accumulate only), K and the training sets of the K
// kept models, then, in version 02 only, for each kept model a flag and its saved state.
template <class Data>
std::string ChainOf<Data>::checkpoint() const {
    std::vector<std::optional<std::string>> states;
    bool any_state = false;
    for (const auto& model : recent_models_) {
        states.push_back(model->save_state());
        any_state = any_state || states.back().has_value();
    }
    std::string out;
    put_bytes(out, any_state ? ChainKind<Data>::kMagicWithStates : ChainKind<Data>::kMagic,
              sizeof(ChainKind<Data>::kMagic));
    put<std::int32_t>(out, next_generation_);
    put_set(out, fixed_real_);
    put_set(out, spec_.schedule.accumulate ? pool_ : TrainingSetOf<Data>{});
    put<std::uint32_t>(out, static_cast<std::uint32_t>(recent_training_.size()));
    for (const auto& t : recent_training_) put_set(out, t);
    if (any_state) {
        for (const auto& state : states) {
            put<std::uint8_t>(out, state ? 1 : 0);
            if (!state) continue;
            put<std::uint64_t>(out, state->size());
            put_bytes(out, state->data(), state->size());
        }
    }
    return out;
}

template <class Data>
void ChainOf<Data>::restore(const std::string& bytes) {
    const std::string what = ChainKind<Data>::kWhat;
    Reader in(bytes);
    char magic[sizeof(ChainKind<Data>::kMagic)];
    in.get_bytes(magic, sizeof(magic));
    const bool with_states =
        std::memcmp(magic, ChainKind<Data>::kMagicWithStates, sizeof(magic)) == 0;
    if (!with_states && std::memcmp(magic, ChainKind<Data>::kMagic, sizeof(magic)) != 0)
        throw DataError(fmt::format("not a madlab {} (bad magic bytes)", what));
    const int next = in.get<std::int32_t>();
    if (next < 0 || next > spec_.generations + 1)
        throw DataError(fmt::format("{} is at generation {}, outside 0..{}", what, next,
                                    spec_.generations + 1));
    TrainingSetOf<Data> fixed_real = get_set(in, test_);
    TrainingSetOf<Data> pool = get_set(in, test_);
    const auto k = in.get<std::uint32_t>();
    if (k > static_cast<std::uint32_t>(spec_.schedule.synthetic_from_last_k) ||
        k > static_cast<std::uint32_t>(next))
        throw DataError(what + " does not match the study (too many models)");
    std::deque<TrainingSetOf<Data>> recent_training;
    for (std::uint32_t j = 0; j < k; ++j) recent_training.push_back(get_set(in, test_));
    std::vector<std::optional<std::string>> states(k);
    if (with_states) {
        for (auto& state : states) {
            if (in.get<std::uint8_t>() == 0) continue;
            const auto size = in.get<std::uint64_t>();
            if (size > in.left()) throw DataError(what + " is corrupt (impossible state size)");
            state.emplace(size, '\0');
            in.get_bytes(state->data(), size);
        }
    }
    if (!in.at_end()) throw DataError(what + " has trailing bytes; it is corrupt");

    fixed_real_ = std::move(fixed_real);
    pool_ = std::move(pool);
    recent_training_ = std::move(recent_training);
    recent_models_.clear();
    for (std::uint32_t j = 0; j < k; ++j) {
        // Model j of k was fitted at generation next - k + j: its saved state, or the same
        // stream and context again (a family that keeps files finds its finished fit in the same
        // folder).
        const int g = next - static_cast<int>(k) + static_cast<int>(j);
        if (states[j]) {
            auto model = spec_.prototype->clone();
            Rng fit_rng = rng(g, "fit");
            model->restore_state(*states[j], fit_context(g, fit_rng));
            recent_models_.push_back(std::move(model));
            continue;
        }
        recent_models_.push_back(fit_model(g, recent_training_[j], last_model(), nullptr));
    }
    train_ = recent_training_.empty() ? TrainingSetOf<Data>{} : recent_training_.back();
    next_generation_ = next;
}

template class ChainOf<Matrix>;
template class ChainOf<Corpus>;

}  // namespace madlab
