#include "madlab/loop/chain.h"

#include <fmt/core.h>

#include <cstring>

#include "checkpoint_io.h"
#include "madlab/core/error.h"

namespace madlab {

Chain::Chain(ChainSpec spec) : spec_(std::move(spec)) {
    if (spec_.source == nullptr || spec_.prototype == nullptr)
        throw Error("Chain needs a real source and a model");
    validate(spec_.schedule);
    Rng test_rng = rng(0, "test");
    test_ = spec_.source->draw_test(spec_.n_test, test_rng);
}

Rng Chain::rng(int generation, std::string_view purpose, std::uint64_t extra) const {
    return chain_stream(spec_.seed, generation, purpose, extra);
}

const ContinuousModel* Chain::last_model() const {
    return recent_models_.empty() ? nullptr : recent_models_.back().get();
}

TrainingSet Chain::next_training_set(int generation) {
    return build_training_set(
        generation, spec_.schedule, spec_.seed, fixed_real_, pool_, recent_models_.size(),
        [&](std::size_t n, Rng& rng) {
            TrainingSet real;
            real.append(spec_.source->draw_train(n, rng), kRealOrigin);
            return real;
        },
        [&](std::size_t j, std::size_t n, int model_generation, Rng& rng) {
            TrainingSet synthetic;
            synthetic.append(recent_models_[j]->sample(n, spec_.bias, rng), model_generation);
            return synthetic;
        });
}

GenerationResult Chain::step() {
    if (done()) throw Error("Chain::step called after the last generation");
    const int g = next_generation_;
    train_ = next_training_set(g);

    std::unique_ptr<ContinuousModel> model = spec_.prototype->clone();
    GenerationResult result;
    result.generation = g;
    Rng fit_rng = rng(g, "fit");
    hand_training_origin(*model, train_.origin);
    result.fit = model->fit(train_.x, fit_rng);

    Rng eval_rng = rng(g, "eval");
    samples_ = model->sample(spec_.n_eval, spec_.bias, eval_rng);
    const MetricInput input{test_, samples_, *model, spec_.source->gaussian()};
    for (const Metric* metric : spec_.metrics) {
        MetricValues values = metric->compute(input);
        result.values.insert(result.values.end(), values.begin(), values.end());
    }
    result.values.emplace_back("train_size", static_cast<double>(train_.size()));
    result.values.emplace_back("real_fraction", train_.real_fraction());

    recent_models_.push_back(std::move(model));
    recent_training_.push_back(train_);
    while (recent_models_.size() > static_cast<std::size_t>(spec_.schedule.synthetic_from_last_k)) {
        recent_models_.pop_front();
        recent_training_.pop_front();
    }
    ++next_generation_;
    return result;
}

namespace {

constexpr char kCheckpointMagic[8] = {'M', 'A', 'D', 'C', 'H', 'K', '0', '1'};

using checkpoint_io::put;
using checkpoint_io::put_bytes;
using checkpoint_io::Reader;

void put_set(std::string& out, const TrainingSet& t) {
    put<std::uint64_t>(out, static_cast<std::uint64_t>(t.x.rows()));
    put<std::uint64_t>(out, static_cast<std::uint64_t>(t.x.cols()));
    put_bytes(out, t.x.data(), sizeof(double) * t.x.size());
    put_bytes(out, t.origin.data(), sizeof(int) * t.origin.size());
}

TrainingSet get_set(Reader& in) {
    TrainingSet t;
    const auto rows = in.get<std::uint64_t>();
    const auto cols = in.get<std::uint64_t>();
    if (rows > in.left() / sizeof(double) + 1 || cols > 1000000)
        throw DataError("chain checkpoint is corrupt (impossible matrix size)");
    t.x.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    in.get_bytes(t.x.data(), sizeof(double) * t.x.size());
    t.origin.resize(rows);
    in.get_bytes(t.origin.data(), sizeof(int) * rows);
    return t;
}

}  // namespace

std::string Chain::checkpoint() const {
    std::string out;
    put_bytes(out, kCheckpointMagic, sizeof(kCheckpointMagic));
    put<std::int32_t>(out, next_generation_);
    put_set(out, fixed_real_);
    put_set(out, spec_.schedule.accumulate ? pool_ : TrainingSet{});
    put<std::uint32_t>(out, static_cast<std::uint32_t>(recent_training_.size()));
    for (const auto& t : recent_training_) put_set(out, t);
    return out;
}

void Chain::restore(const std::string& bytes) {
    Reader in(bytes);
    char magic[sizeof(kCheckpointMagic)];
    in.get_bytes(magic, sizeof(magic));
    if (std::memcmp(magic, kCheckpointMagic, sizeof(magic)) != 0)
        throw DataError("not a madlab chain checkpoint (bad magic bytes)");
    const int next = in.get<std::int32_t>();
    if (next < 0 || next > spec_.generations + 1)
        throw DataError(fmt::format("chain checkpoint is at generation {}, outside 0..{}", next,
                                    spec_.generations + 1));
    fixed_real_ = get_set(in);
    pool_ = get_set(in);
    const auto k = in.get<std::uint32_t>();
    if (k > static_cast<std::uint32_t>(spec_.schedule.synthetic_from_last_k) ||
        k > static_cast<std::uint32_t>(next))
        throw DataError("chain checkpoint does not match the study (too many models)");
    recent_training_.clear();
    recent_models_.clear();
    for (std::uint32_t j = 0; j < k; ++j) {
        recent_training_.push_back(get_set(in));
        const int generation = next - static_cast<int>(k) + static_cast<int>(j);
        auto model = spec_.prototype->clone();
        Rng fit_rng = rng(generation, "fit");
        hand_training_origin(*model, recent_training_.back().origin);
        model->fit(recent_training_.back().x, fit_rng);
        recent_models_.push_back(std::move(model));
    }
    if (!in.at_end()) throw DataError("chain checkpoint has trailing bytes; it is corrupt");
    train_ = recent_training_.empty() ? TrainingSet{} : recent_training_.back();
    next_generation_ = next;
}

}  // namespace madlab
