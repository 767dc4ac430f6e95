#include "madlab/loop/chain.h"

#include <fmt/core.h>

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
    return Rng::stream(
        {spec_.seed, static_cast<std::uint64_t>(generation), hash_tag(purpose), extra});
}

const ContinuousModel* Chain::last_model() const {
    return recent_models_.empty() ? nullptr : recent_models_.back().get();
}

TrainingSet Chain::next_training_set(int generation) {
    const ScheduleOptions& s = spec_.schedule;
    if (generation == 0) {
        Rng real_rng = rng(0, "real");
        TrainingSet first;
        first.append(spec_.source->draw_train(s.n_real_initial, real_rng), kRealOrigin);
        std::vector<std::size_t> head(s.n_real_fixed);
        for (std::size_t i = 0; i < head.size(); ++i) head[i] = i;
        fixed_real_ = first.select(head);
        pool_ = first;
        return first;
    }

    TrainingSet added;  // fresh real and synthetic rows of this generation
    if (s.n_real_fresh > 0) {
        Rng real_rng = rng(generation, "real");
        added.append(spec_.source->draw_train(s.n_real_fresh, real_rng), kRealOrigin);
    }
    // Synthetic rows spread evenly over the last K models; the newest takes the remainder.
    const std::size_t k = recent_models_.size();
    for (std::size_t j = 0; j < k; ++j) {
        const std::size_t share = s.n_synthetic / k + (j + 1 == k ? s.n_synthetic % k : 0);
        if (share == 0) continue;
        const int model_generation = generation - static_cast<int>(k - j);
        Rng sample_rng = rng(generation, "synthetic", j);
        added.append(recent_models_[j]->sample(share, spec_.bias, sample_rng), model_generation);
    }

    if (!s.accumulate) {
        TrainingSet next = fixed_real_;
        next.append(added);
        return next;
    }
    pool_.append(added);
    if (s.subsample == 0 || s.subsample >= pool_.size()) return pool_;
    Rng subsample_rng = rng(generation, "subsample");
    return pool_.select(sample_without_replacement(pool_.size(), s.subsample, subsample_rng));
}

GenerationResult Chain::step() {
    if (done()) throw Error("Chain::step called after the last generation");
    const int g = next_generation_;
    train_ = next_training_set(g);

    std::unique_ptr<ContinuousModel> model = spec_.prototype->clone();
    GenerationResult result;
    result.generation = g;
    Rng fit_rng = rng(g, "fit");
    result.fit = model->fit(train_.x, fit_rng);

    Rng eval_rng = rng(g, "eval");
    const Matrix samples = model->sample(spec_.n_eval, spec_.bias, eval_rng);
    const MetricInput input{test_, samples, *model, spec_.source->gaussian()};
    for (const Metric* metric : spec_.metrics) {
        MetricValues values = metric->compute(input);
        result.values.insert(result.values.end(), values.begin(), values.end());
    }
    result.values.emplace_back("train_size", static_cast<double>(train_.size()));
    result.values.emplace_back("real_fraction", train_.real_fraction());

    recent_models_.push_back(std::move(model));
    while (recent_models_.size() > static_cast<std::size_t>(spec_.schedule.synthetic_from_last_k))
        recent_models_.pop_front();
    ++next_generation_;
    return result;
}

}  // namespace madlab
