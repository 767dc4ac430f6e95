#include "madlab/loop/text_chain.h"

#include <algorithm>

#include "checkpoint_io.h"
#include "madlab/core/error.h"
#include "madlab/metrics/text_metrics.h"

namespace madlab {

double TextTrainingSet::real_fraction() const {
    if (origin.empty()) return 0.0;
    std::size_t real = 0;
    for (int o : origin) real += (o == kRealOrigin);
    return static_cast<double>(real) / origin.size();
}

void TextTrainingSet::append(const Corpus& lines, int line_origin) {
    if (!corpus.vocabulary) corpus.vocabulary = lines.vocabulary;
    for (std::size_t i = 0; i < lines.lines(); ++i) corpus.add_line(lines.line(i));
    origin.insert(origin.end(), lines.lines(), line_origin);
}

void TextTrainingSet::append(const TextTrainingSet& other) {
    if (!corpus.vocabulary) corpus.vocabulary = other.corpus.vocabulary;
    for (std::size_t i = 0; i < other.corpus.lines(); ++i) corpus.add_line(other.corpus.line(i));
    origin.insert(origin.end(), other.origin.begin(), other.origin.end());
}

TextTrainingSet TextTrainingSet::select(const std::vector<std::size_t>& lines) const {
    TextTrainingSet out;
    out.corpus.vocabulary = corpus.vocabulary;
    for (std::size_t i : lines) {
        out.corpus.add_line(corpus.line(i));
        out.origin.push_back(origin[i]);
    }
    return out;
}

TextChain::TextChain(TextChainSpec spec) : spec_(std::move(spec)) {
    if (spec_.source == nullptr) throw Error("TextChain needs a text source");
    validate(spec_.schedule);
    test_ = spec_.source->test_set();
    if (test_.lines() == 0)
        throw DataError(spec_.source->describe() +
                        " holds out no lines: set a held-out share so that perplexity of real "
                        "text can be measured");
    if (spec_.prototype == nullptr) {
        ngram_prototype_ = std::make_unique<NgramTextModel>(spec_.model);
        spec_.prototype = ngram_prototype_.get();
    }
}

std::unique_ptr<TextModel> TextChain::fit_model(int g, const TextTrainingSet& train,
                                                FitInfo* info) const {
    std::unique_ptr<TextModel> model = spec_.prototype->clone();
    Rng fit_rng = rng(g, "fit");
    hand_training_origin(*model, train.origin);
    FitInfo fitted = model->fit(train.corpus, fit_rng);
    if (info != nullptr) *info = std::move(fitted);
    return model;
}

Rng TextChain::rng(int generation, std::string_view purpose, std::uint64_t extra) const {
    return chain_stream(spec_.seed, generation, purpose, extra);
}

TextTrainingSet TextChain::next_training_set(int generation) {
    return build_training_set(
        generation, spec_.schedule, spec_.seed, fixed_real_, pool_, recent_models_.size(),
        [&](std::size_t n, Rng& rng) {
            TextTrainingSet real;
            real.append(spec_.source->draw_train(n, rng), kRealOrigin);
            return real;
        },
        [&](std::size_t j, std::size_t n, int model_generation, Rng& rng) {
            TextTrainingSet synthetic;
            synthetic.append(recent_models_[j]->sample(n, spec_.bias, rng, spec_.max_line_length),
                             model_generation);
            return synthetic;
        });
}

GenerationResult TextChain::step() {
    if (done()) throw Error("TextChain::step called after the last generation");
    const int g = next_generation_;
    train_ = next_training_set(g);

    GenerationResult result;
    result.generation = g;
    std::unique_ptr<TextModel> model = fit_model(g, train_, &result.fit);

    Rng eval_rng = rng(g, "eval");
    samples_ = model->sample(spec_.n_eval, spec_.bias, eval_rng, spec_.max_line_length);

    auto& v = result.values;
    if (const auto score = model->score_held_out(test_)) {
        v.emplace_back("perplexity", score->perplexity);
        if (score->perplexity_excluding_oov)
            v.emplace_back("perplexity_excluding_oov", *score->perplexity_excluding_oov);
        if (score->oov_rate) v.emplace_back("oov_rate", *score->oov_rate);
    }
    if (model->knows_vocabulary()) {
        const TailLoss tail = vocabulary_retention(test_, *model);
        v.emplace_back("lost_types", static_cast<double>(tail.lost_types));
        v.emplace_back("lost_mass", tail.lost_mass);
    }
    if (model->open_vocabulary()) {
        const auto unknown = static_cast<double>(
            std::count(samples_.tokens.begin(), samples_.tokens.end(), Vocabulary::kUnk));
        v.emplace_back("sample_unk_rate",
                       samples_.tokens.empty() ? 0.0 : unknown / samples_.token_count());
    }
    const DistinctN distinct = distinct_n(samples_, spec_.token_budget);
    v.emplace_back("distinct_1", distinct.d1);
    v.emplace_back("distinct_2", distinct.d2);
    v.emplace_back("distinct_3", distinct.d3);
    v.emplace_back("distinct_4", distinct.d4);
    v.emplace_back("unigram_entropy", unigram_entropy(samples_, spec_.token_budget));
    if (auto zipf = zipf_exponent(samples_, spec_.token_budget)) v.emplace_back("zipf", *zipf);
    v.emplace_back("mean_line_length", mean_line_length(samples_));
    v.emplace_back("train_size", static_cast<double>(train_.size()));
    v.emplace_back("train_tokens", static_cast<double>(train_.corpus.token_count()));
    v.emplace_back("real_fraction", train_.real_fraction());

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

constexpr char kTextCheckpointMagic[8] = {'M', 'A', 'D', 'T', 'X', 'T', '0', '1'};

using checkpoint_io::put;
using checkpoint_io::put_bytes;
using checkpoint_io::Reader;

void put_set(std::string& out, const TextTrainingSet& t) {
    put<std::uint64_t>(out, t.corpus.lines());
    put<std::uint64_t>(out, t.corpus.token_count());
    put_bytes(out, t.corpus.offsets.data(), sizeof(std::size_t) * t.corpus.offsets.size());
    put_bytes(out, t.corpus.tokens.data(), sizeof(TokenId) * t.corpus.tokens.size());
    put_bytes(out, t.origin.data(), sizeof(int) * t.origin.size());
}

TextTrainingSet get_set(Reader& in, const std::shared_ptr<const Vocabulary>& vocabulary) {
    TextTrainingSet t;
    const auto lines = in.get<std::uint64_t>();
    const auto tokens = in.get<std::uint64_t>();
    if (lines > in.left() / sizeof(std::size_t) || tokens > in.left() / sizeof(TokenId))
        throw DataError("text chain checkpoint is corrupt (impossible corpus size)");
    t.corpus.vocabulary = vocabulary;
    t.corpus.offsets.resize(lines + 1);
    in.get_bytes(t.corpus.offsets.data(), sizeof(std::size_t) * t.corpus.offsets.size());
    t.corpus.tokens.resize(tokens);
    in.get_bytes(t.corpus.tokens.data(), sizeof(TokenId) * tokens);
    t.origin.resize(lines);
    in.get_bytes(t.origin.data(), sizeof(int) * lines);
    if (t.corpus.offsets.front() != 0 || t.corpus.offsets.back() != tokens)
        throw DataError("text chain checkpoint is corrupt (line offsets)");
    for (TokenId id : t.corpus.tokens)
        if (id >= vocabulary->size())
            throw DataError("text chain checkpoint does not match the study's text");
    return t;
}

}  // namespace

std::string TextChain::checkpoint() const {
    std::string out;
    put_bytes(out, kTextCheckpointMagic, sizeof(kTextCheckpointMagic));
    put<std::int32_t>(out, next_generation_);
    put_set(out, fixed_real_);
    put_set(out, spec_.schedule.accumulate ? pool_ : TextTrainingSet{});
    put<std::uint32_t>(out, static_cast<std::uint32_t>(recent_training_.size()));
    for (const auto& t : recent_training_) put_set(out, t);
    return out;
}

void TextChain::restore(const std::string& bytes) {
    Reader in(bytes);
    char magic[sizeof(kTextCheckpointMagic)];
    in.get_bytes(magic, sizeof(magic));
    if (std::memcmp(magic, kTextCheckpointMagic, sizeof(magic)) != 0)
        throw DataError("not a madlab text chain checkpoint (bad magic bytes)");
    const int next = in.get<std::int32_t>();
    if (next < 0 || next > spec_.generations + 1)
        throw DataError("text chain checkpoint is at a generation outside the study");
    const auto& vocabulary = spec_.source->vocabulary_ptr();
    fixed_real_ = get_set(in, vocabulary);
    pool_ = get_set(in, vocabulary);
    const auto k = in.get<std::uint32_t>();
    if (k > static_cast<std::uint32_t>(spec_.schedule.synthetic_from_last_k) ||
        k > static_cast<std::uint32_t>(next))
        throw DataError("text chain checkpoint does not match the study (too many models)");
    recent_training_.clear();
    recent_models_.clear();
    for (std::uint32_t j = 0; j < k; ++j) {
        recent_training_.push_back(get_set(in, vocabulary));
        // Model j of k was fitted at generation next - k + j: the same fit stream again (an
        // external model recognises its finished fit).
        const int g = next - static_cast<int>(k) + static_cast<int>(j);
        recent_models_.push_back(fit_model(g, recent_training_.back(), nullptr));
    }
    if (!in.at_end()) throw DataError("text chain checkpoint has trailing bytes; it is corrupt");
    train_ = recent_training_.empty() ? TextTrainingSet{} : recent_training_.back();
    next_generation_ = next;
}

}  // namespace madlab
