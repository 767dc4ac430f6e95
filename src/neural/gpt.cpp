#include "madlab/neural/gpt.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"
#include "torch_support.h"

namespace madlab {

namespace {

// The numbers a saved state records besides the weights.
std::vector<std::int64_t> shape_of(std::int64_t vocabulary, const GptOptions& o) {
    return {vocabulary, o.training.width, o.training.depth, o.heads, o.context};
}

// A padded target that the loss ignores.
constexpr std::int64_t kIgnore = -100;
// Lines sampled together (one forward pass per token for all of them).
constexpr std::size_t kSampleBatch = 256;
// Padded tokens per forward pass of the held-out score.
constexpr std::int64_t kScoreTokens = 4096;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// One pre-LayerNorm transformer block: x + attention(LN(x)), then x + MLP(LN(x)).
struct Block : torch::nn::Module {
    Block(std::int64_t width, std::int64_t heads) : heads(heads) {
        const torch::nn::LayerNormOptions norm({width});
        ln1 = register_module("ln1", torch::nn::LayerNorm(norm));
        qkv = register_module("qkv", torch::nn::Linear(width, 3 * width));
        proj = register_module("proj", torch::nn::Linear(width, width));
        ln2 = register_module("ln2", torch::nn::LayerNorm(norm));
        mlp = register_module(
            "mlp", neural::make_mlp(width, 4 * width, 1, width, neural::Activation::kGelu));
    }

    // x: [batch, tokens, width]; future: [tokens, tokens], true above the diagonal.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& future) {
        const std::int64_t b = x.size(0), t = x.size(1), c = x.size(2), d = c / heads;
        // [3, batch, heads, tokens, d]
        const torch::Tensor qkv_heads =
            qkv->forward(ln1->forward(x)).view({b, t, 3, heads, d}).permute({2, 0, 3, 1, 4});
        const torch::Tensor q = qkv_heads[0], k = qkv_heads[1], v = qkv_heads[2];
        const torch::Tensor scores =
            torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(d));
        const torch::Tensor attention =
            scores.masked_fill(future, -std::numeric_limits<float>::infinity()).softmax(-1);
        const torch::Tensor y = torch::matmul(attention, v).transpose(1, 2).reshape({b, t, c});
        const torch::Tensor h = x + proj->forward(y);
        return h + mlp->forward(ln2->forward(h));
    }

    // forward() for one new token per row, x: [batch, 1, width], whose earlier tokens' keys and
    // values are in `keys` and `values` ([batch, heads, tokens, d], undefined before the first
    // token); appends the new token's. The new token attends to every cached one: the same
    // attention as forward()'s causal mask gives the last position.
    torch::Tensor step(const torch::Tensor& x, torch::Tensor& keys, torch::Tensor& values) {
        const std::int64_t b = x.size(0), c = x.size(2), d = c / heads;
        const torch::Tensor qkv_heads =
            qkv->forward(ln1->forward(x)).view({b, 1, 3, heads, d}).permute({2, 0, 3, 1, 4});
        keys = keys.defined() ? torch::cat({keys, qkv_heads[1]}, 2) : qkv_heads[1];
        values = values.defined() ? torch::cat({values, qkv_heads[2]}, 2) : qkv_heads[2];
        const torch::Tensor scores =
            torch::matmul(qkv_heads[0], keys.transpose(-2, -1)) / std::sqrt(static_cast<double>(d));
        const torch::Tensor y =
            torch::matmul(scores.softmax(-1), values).transpose(1, 2).reshape({b, 1, c});
        const torch::Tensor h = x + proj->forward(y);
        return h + mlp->forward(ln2->forward(h));
    }

    std::int64_t heads;
    torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
    torch::nn::Linear qkv{nullptr}, proj{nullptr};
    torch::nn::Sequential mlp{nullptr};
};

}  // namespace

struct GptModel::Network : torch::nn::Module {
    Network(std::int64_t vocabulary, const GptOptions& o)
        : shape(shape_of(vocabulary, o)), vocab(vocabulary), context(o.context) {
        const std::int64_t width = o.training.width;
        token = register_module("token", torch::nn::Embedding(vocab, width));
        position = register_module("position", torch::nn::Embedding(context, width));
        for (int k = 0; k < o.training.depth; ++k)
            blocks.push_back(register_module(fmt::format("block{}", k),
                                             std::make_shared<Block>(width, o.heads)));
        ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
        head = register_module("head", torch::nn::Linear(width, vocab));
        known = register_buffer("known", torch::zeros({vocab}));
    }

    // Fresh weights from `generator` (LayerNorms keep their constructed ones and zeros).
    void initialise(at::Generator& generator) {
        neural::init_layers(*this, generator);
        torch::NoGradGuard no_grad;
        token->weight.normal_(0.0, 0.02, generator);
        position->weight.normal_(0.0, 0.02, generator);
    }

    // Marks the words of `train` as known (and no others).
    void set_known(const Corpus& train) {
        torch::NoGradGuard no_grad;
        std::vector<float> flags(static_cast<std::size_t>(vocab), 0.0f);
        for (TokenId w : train.tokens) flags[w] = 1.0f;
        known.copy_(torch::from_blob(flags.data(), {vocab}, torch::kFloat32));
    }
    std::vector<char> known_flags() const {
        const torch::Tensor k = known.gt(0.5f).to(torch::kUInt8).contiguous();
        return {k.data_ptr<std::uint8_t>(), k.data_ptr<std::uint8_t>() + vocab};
    }
    // True for the tokens the model never gives: <s> and the words outside the training corpus
    // other than <unk> (gpt.h).
    torch::Tensor blocked() const {
        torch::Tensor out = known.lt(0.5f);
        out[Vocabulary::kUnk] = false;
        out[Vocabulary::kEos] = false;
        out[Vocabulary::kBos] = true;
        return out;
    }

    // The final hidden states [batch, tokens, width] of token ids [batch, tokens <= context].
    torch::Tensor hidden(const torch::Tensor& tokens) {
        const std::int64_t t = tokens.size(1);
        torch::Tensor x =
            token->forward(tokens) + position->forward(torch::arange(t, torch::kInt64));
        const torch::Tensor future = torch::ones({t, t}, torch::kBool).triu(1);
        for (auto& block : blocks) x = block->forward(x, future);
        return ln_f->forward(x);
    }
    // The keys and values of every block for the tokens decoded so far (Block::step).
    struct Cache {
        std::vector<torch::Tensor> keys, values;
        // Keeps the rows `rows` (int64 indices) of every cached tensor.
        void keep(const torch::Tensor& rows) {
            for (auto& k : keys) k = k.index_select(0, rows);
            for (auto& v : values) v = v.index_select(0, rows);
        }
    };
    // The final hidden state [batch, width] of one new token per row at `position` (< context),
    // the earlier tokens being in `cache` (empty at position 0), which it extends.
    torch::Tensor step(const torch::Tensor& tokens, std::int64_t position_index, Cache& cache) {
        if (cache.keys.empty()) {
            cache.keys.resize(blocks.size());
            cache.values.resize(blocks.size());
        }
        torch::Tensor x = (token->forward(tokens) + position->weight[position_index]).unsqueeze(1);
        for (std::size_t k = 0; k < blocks.size(); ++k)
            x = blocks[k]->step(x, cache.keys[k], cache.values[k]);
        return ln_f->forward(x).squeeze(1);
    }

    // The logits of hidden states [..., width], -inf for the blocked tokens.
    torch::Tensor logits(const torch::Tensor& h) {
        return head->forward(h).masked_fill(blocked(), -std::numeric_limits<float>::infinity());
    }

    std::vector<std::int64_t> shape;  // shape_of(vocabulary, options)
    std::int64_t vocab, context;
    torch::nn::Embedding token{nullptr}, position{nullptr};
    std::vector<std::shared_ptr<Block>> blocks;
    torch::nn::LayerNorm ln_f{nullptr};
    torch::nn::Linear head{nullptr};
    torch::Tensor known;  // [vocab], 1 for the words of the training corpus
};

namespace {

void check_heads(std::int64_t width, std::int64_t heads) {
    if (heads < 1) throw ConfigError(fmt::format("model.heads must be >= 1, got {}", heads));
    if (width % heads != 0)
        throw ConfigError(
            fmt::format("model.width ({}) must be a multiple of model.heads ({})", width, heads));
}

void check(const GptOptions& o) {
    o.training.check("gpt");
    check_heads(o.training.width, o.heads);
    if (o.context < 1)
        throw ConfigError(fmt::format("model.context must be >= 1, got {}", o.context));
    if (o.top_k < 0) throw ConfigError(fmt::format("model.top_k must be >= 0, got {}", o.top_k));
    if (!(o.top_p > 0.0 && o.top_p <= 1.0))
        throw ConfigError(fmt::format("model.top_p must be in (0, 1], got {}", o.top_p));
    if (o.max_line_length < 1) throw ConfigError("model.max_line_length must be >= 1");
}

// The training windows of gpt.h, as rows padded to `context` tokens: inputs (padding </s>),
// targets (padding kIgnore) and the unpadded lengths.
struct Windows {
    torch::Tensor inputs, targets, lengths;
    std::size_t rows = 0;
};

Windows make_windows(const Corpus& train, std::int64_t context) {
    std::vector<std::int64_t> inputs, targets, lengths;
    std::vector<std::int64_t> line;
    for (std::size_t i = 0; i < train.lines(); ++i) {
        line.assign({Vocabulary::kBos});
        for (TokenId w : train.line(i)) line.push_back(w);
        line.push_back(Vocabulary::kEos);
        const auto m = static_cast<std::int64_t>(line.size());
        for (std::int64_t start = 0; start < m - 1; start += context) {
            const std::int64_t length = std::min(context, m - 1 - start);
            for (std::int64_t j = 0; j < context; ++j) {
                inputs.push_back(j < length ? line[start + j] : Vocabulary::kEos);
                targets.push_back(j < length ? line[start + j + 1] : kIgnore);
            }
            lengths.push_back(length);
        }
    }
    Windows w;
    w.rows = lengths.size();
    const auto rows = static_cast<std::int64_t>(w.rows);
    w.inputs = torch::tensor(inputs, torch::kInt64).view({rows, context});
    w.targets = torch::tensor(targets, torch::kInt64).view({rows, context});
    w.lengths = torch::tensor(lengths, torch::kInt64);
    return w;
}

// One forward pass of the held-out score: `input` (<= context tokens) and the tokens it
// predicts: (position in input, target id, index of the token's log-probability).
struct ScoreJob {
    std::vector<std::int64_t> input;
    std::vector<std::array<std::int64_t, 3>> predict;
};

}  // namespace

GptModel::GptModel(GptOptions options, std::shared_ptr<const Vocabulary> vocabulary)
    : options_(options), vocabulary_(std::move(vocabulary)) {
    check(options_);
    if (!vocabulary_) throw Error("GptModel needs the corpus's vocabulary");
}

GptModel::GptModel(const GptModel& other)
    : TextModel(other),
      TextVocabulary(other),
      options_(other.options_),
      vocabulary_(other.vocabulary_),
      network_(neural::copy_network(other.network_, [&](const std::vector<std::int64_t>& shape) {
          return std::make_unique<Network>(shape[0], options_);
      })) {}

GptModel::~GptModel() = default;

std::unique_ptr<TextModel> GptModel::clone() const { return std::make_unique<GptModel>(*this); }

bool GptModel::known(TokenId word) const {
    require_fitted();
    // `known` is a contiguous float buffer: read the flag without building a tensor per call.
    return word < network_->vocab && network_->known.data_ptr<float>()[word] > 0.5f;
}

FitInfo GptModel::do_fit(const Corpus& train, FitContext<Corpus>& context) {
    neural::prepare_torch();
    const auto v = static_cast<std::int64_t>(vocabulary_->size());
    for (TokenId w : train.tokens)
        if (w >= v || w == Vocabulary::kBos || w == Vocabulary::kEos)
            throw DataError(fmt::format(
                "gpt: the training text holds token id {}, which is <s>, </s> or outside the "
                "model's vocabulary of {} ids; fit the model on the text it was built for",
                w, v));
    network_.reset();
    auto net = std::make_unique<Network>(v, options_);
    at::Generator generator = neural::torch_generator(context.rng);
    const auto* previous = dynamic_cast<const GptModel*>(context.previous);
    const bool warm = options_.training.init == TrainingOptions::Init::kPrevious &&
                      previous != nullptr && previous->network_ &&
                      previous->network_->shape == net->shape;
    if (warm)
        neural::copy_weights(*previous->network_, *net);
    else
        net->initialise(generator);
    net->set_known(train);
    const Windows windows = make_windows(train, options_.context);
    const double loss = neural::train_minibatches(
        *net, windows.rows, options_.training, context.rng, family(),
        [&](const torch::Tensor& rows) {
            const std::int64_t t = windows.lengths.index_select(0, rows).max().item<std::int64_t>();
            const torch::Tensor x = windows.inputs.index_select(0, rows).narrow(1, 0, t);
            const torch::Tensor y = windows.targets.index_select(0, rows).narrow(1, 0, t);
            const torch::Tensor logits = net->logits(net->hidden(x));
            return torch::nn::functional::cross_entropy(
                logits.reshape({-1, v}), y.reshape({-1}),
                torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnore));
        });
    FitInfo info;
    info.iterations = static_cast<int>(options_.training.total_steps(windows.rows));
    info.values.emplace_back("fit_loss", loss);
    network_ = std::move(net);
    neural::keep_weights(context.work_dir, state());
    return info;
}

Corpus GptModel::do_sample(std::size_t n_lines, double bias, Rng& rng,
                           std::string_view /*purpose*/) const {
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    Network& net = *network_;
    const auto v = static_cast<std::size_t>(net.vocab);
    const bool unk_allowed = net.known_flags()[Vocabulary::kUnk] != 0;
    Corpus out;
    out.vocabulary = vocabulary_;
    std::vector<double> p;
    std::vector<std::uint32_t> idx;
    std::vector<std::vector<std::int64_t>> seqs;
    std::vector<std::size_t> active, still;
    std::vector<std::int64_t> window, kept_rows;
    for (std::size_t first = 0; first < n_lines; first += kSampleBatch) {
        const std::size_t count = std::min(kSampleBatch, n_lines - first);
        seqs.assign(count, {Vocabulary::kBos});
        active.resize(count);
        std::iota(active.begin(), active.end(), std::size_t{0});
        Network::Cache cache;
        while (!active.empty()) {
            // Every active line has the same length: they all advance one token a step. While
            // the line fits the context, the new token attends to the cached keys and values
            // of the earlier ones; beyond, the window slides and is computed whole.
            const auto length = static_cast<std::int64_t>(seqs[active[0]].size());
            torch::Tensor h;
            if (length <= net.context) {
                window.clear();
                for (std::size_t a : active) window.push_back(seqs[a].back());
                h = net.step(torch::tensor(window, torch::kInt64), length - 1, cache);
            } else {
                const std::int64_t t = net.context;
                window.clear();
                for (std::size_t a : active)
                    window.insert(window.end(), seqs[a].end() - t, seqs[a].end());
                const torch::Tensor x = torch::tensor(window, torch::kInt64)
                                            .view({static_cast<std::int64_t>(active.size()), t});
                h = net.hidden(x).select(1, t - 1);
            }
            torch::Tensor logits = net.logits(h).to(torch::kFloat64).contiguous();
            if (!unk_allowed) logits.select(1, Vocabulary::kUnk).fill_(kNegInf);
            const double* rows = logits.data_ptr<double>();
            still.clear();
            kept_rows.clear();
            for (std::size_t r = 0; r < active.size(); ++r) {
                const std::size_t a = active[r];
                // p^(1/lambda) renormalised: exp of the logits over lambda (-inf: never).
                const double* logit = rows + r * v;
                const double top = *std::max_element(logit, logit + v);
                p.resize(v);
                for (std::size_t i = 0; i < v; ++i)
                    p[i] = logit[i] == kNegInf ? 0.0 : std::exp((logit[i] - top) / bias);
                const TokenId next = draw_truncated(p, options_.top_k, options_.top_p, rng, idx);
                if (next == Vocabulary::kEos) continue;
                seqs[a].push_back(next);
                if (seqs[a].size() - 1 < options_.max_line_length) {
                    still.push_back(a);
                    kept_rows.push_back(static_cast<std::int64_t>(r));
                }
            }
            if (still.size() != active.size() && !still.empty() && length + 1 <= net.context)
                cache.keep(torch::tensor(kept_rows, torch::kInt64));
            active.swap(still);
        }
        std::vector<TokenId> line;
        for (const auto& seq : seqs) {
            line.assign(seq.begin() + 1, seq.end());
            out.add_line(line);
        }
    }
    return out;
}

std::vector<double> GptModel::next_token_log_probs(std::span<const TokenId> words) const {
    require_fitted();
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    Network& net = *network_;
    const std::vector<char> known = net.known_flags();
    std::vector<std::int64_t> seq{Vocabulary::kBos};
    for (TokenId w : words) seq.push_back(w < known.size() && known[w] ? w : Vocabulary::kUnk);
    const auto t = std::min<std::int64_t>(static_cast<std::int64_t>(seq.size()), net.context);
    const std::vector<std::int64_t> window(seq.end() - t, seq.end());
    const torch::Tensor x = torch::tensor(window, torch::kInt64).view({1, t});
    const torch::Tensor log_p = torch::log_softmax(net.logits(net.hidden(x)[0][t - 1]), -1)
                                    .to(torch::kFloat64)
                                    .contiguous();
    return {log_p.data_ptr<double>(), log_p.data_ptr<double>() + net.vocab};
}

NamedValues GptModel::do_score_held_out(const Corpus& real) const {
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    Network& net = *network_;
    const std::vector<char> known = net.known_flags();
    const std::int64_t context = net.context;
    // The jobs of gpt.h's sliding window: a line's first context tokens predict its first
    // context + 1... tokens in one pass; each later token gets a pass of its own.
    std::vector<ScoreJob> jobs;
    std::vector<char> oov;  // per scored token
    std::vector<std::int64_t> seq;
    for (std::size_t i = 0; i < real.lines(); ++i) {
        seq.assign({Vocabulary::kBos});
        for (TokenId w : real.line(i)) {
            const bool is_oov = w == Vocabulary::kUnk || w >= known.size() || !known[w];
            oov.push_back(is_oov);
            seq.push_back(is_oov ? Vocabulary::kUnk : w);
        }
        oov.push_back(false);  // </s>
        seq.push_back(Vocabulary::kEos);
        const auto m = static_cast<std::int64_t>(seq.size());
        const auto first = static_cast<std::int64_t>(oov.size()) - (m - 1);  // token of seq[1]
        ScoreJob head;
        head.input.assign(seq.begin(), seq.begin() + std::min(m - 1, context));
        for (std::int64_t pos = 0; pos < static_cast<std::int64_t>(head.input.size()); ++pos)
            head.predict.push_back({pos, seq[pos + 1], first + pos});
        jobs.push_back(std::move(head));
        for (std::int64_t target = context + 1; target < m; ++target) {
            ScoreJob job;
            job.input.assign(seq.begin() + (target - context), seq.begin() + target);
            job.predict.push_back({context - 1, seq[target], first + target - 1});
            jobs.push_back(std::move(job));
        }
    }
    std::vector<double> log_p(oov.size(), 0.0);
    for (std::size_t begin = 0; begin < jobs.size();) {
        // A batch: jobs while the padded tokens stay within kScoreTokens (at least one job).
        std::size_t end = begin;
        std::int64_t t = 0;
        while (end < jobs.size()) {
            const std::int64_t longer =
                std::max(t, static_cast<std::int64_t>(jobs[end].input.size()));
            if (end > begin && longer * static_cast<std::int64_t>(end + 1 - begin) > kScoreTokens)
                break;
            t = longer;
            ++end;
        }
        const auto b = static_cast<std::int64_t>(end - begin);
        std::vector<std::int64_t> input(static_cast<std::size_t>(b * t), Vocabulary::kEos);
        std::vector<std::int64_t> at, target, slot;
        for (std::int64_t r = 0; r < b; ++r) {
            const ScoreJob& job = jobs[begin + static_cast<std::size_t>(r)];
            std::copy(job.input.begin(), job.input.end(), input.begin() + r * t);
            for (const auto& [pos, id, k] : job.predict) {
                at.push_back(r * t + pos);
                target.push_back(id);
                slot.push_back(k);
            }
        }
        // Padding comes after every predicting position, so the causal mask hides it.
        const torch::Tensor h = net.hidden(torch::tensor(input, torch::kInt64).view({b, t}))
                                    .reshape({b * t, -1})
                                    .index_select(0, torch::tensor(at, torch::kInt64));
        const torch::Tensor picked =
            torch::log_softmax(net.logits(h), -1)
                .gather(1, torch::tensor(target, torch::kInt64).view({-1, 1}))
                .to(torch::kFloat64)
                .contiguous();
        const double* values = picked.data_ptr<double>();
        for (std::size_t j = 0; j < slot.size(); ++j) log_p[slot[j]] = values[j];
        begin = end;
    }
    double sum = 0.0, oov_sum = 0.0;
    std::size_t oov_count = 0;
    for (std::size_t k = 0; k < log_p.size(); ++k) {
        sum += log_p[k];
        if (oov[k]) {
            oov_sum += log_p[k];
            ++oov_count;
        }
    }
    const std::size_t tokens = log_p.size();
    if (tokens == 0) throw DataError("gpt: perplexity of a text with no lines");
    const double excluding =
        tokens > oov_count ? std::exp(-(sum - oov_sum) / static_cast<double>(tokens - oov_count))
                           : 0.0;
    return {{"perplexity", std::exp(-sum / static_cast<double>(tokens))},
            {"perplexity_excluding_oov", excluding},
            {"oov_rate", static_cast<double>(oov_count) / static_cast<double>(tokens)}};
}

std::optional<std::string> GptModel::save_state() const {
    require_fitted();
    return state();
}

std::string GptModel::state() const {
    return neural::save_network(family(), network_->shape, *network_);
}

void GptModel::do_restore_state(const std::string& state) {
    neural::prepare_torch();
    const auto v = static_cast<std::int64_t>(vocabulary_->size());
    network_ = neural::restore_network<Network>(
        family(), state,
        [&](const std::vector<std::int64_t>& /*shape*/) { return shape_of(v, options_); },
        [&](const std::vector<std::int64_t>& shape) {
            return std::make_unique<Network>(shape[0], options_);
        },
        "width, depth, heads, context; the corpus's vocabulary");
}

namespace {

const ModelFamilyRegistrar kGptFamily([] {
    const GptOptions defaults;
    ModelFamily family{
        .name = "gpt",
        .help =
            "small decoder-only transformer language model (GPT-2 style) on LibTorch; bias "
            "is the temperature",
        .keys = training_keys(defaults.training, /*vectors=*/false, /*text=*/true),
        .make_text =
            [](const Params& p, const TextSource& source) {
                GptOptions options;
                options.training = training_options(p);
                options.heads = static_cast<int>(p.get_int("heads"));
                options.context = static_cast<int>(p.get_int("context"));
                options.top_k = static_cast<int>(p.get_int("top_k"));
                options.top_p = p.get_double("top_p");
                options.max_line_length = static_cast<std::size_t>(p.get_int("max_line_length"));
                return std::unique_ptr<TextModel>(
                    std::make_unique<GptModel>(options, source.vocabulary_ptr()));
            },
        .check =
            [](const Params& p, bool text) {
                if (text) check_heads(p.get_int("width"), p.get_int("heads"));
            },
    };
    family.keys.push_back({.name = "heads",
                           .type = ConfigKey::Type::kInt,
                           .default_value = std::int64_t{defaults.heads},
                           .min = 1,
                           .max = 256,
                           .help = "attention heads per block (must divide model.width)",
                           .vectors = false});
    family.keys.push_back({.name = "context",
                           .type = ConfigKey::Type::kInt,
                           .default_value = std::int64_t{defaults.context},
                           .min = 1,
                           .max = 65536,
                           .help = "tokens of context the model sees (learned positions)",
                           .vectors = false});
    family.keys.push_back({.name = "top_k",
                           .type = ConfigKey::Type::kInt,
                           .default_value = std::int64_t{defaults.top_k},
                           .min = 0,
                           .max = 1000000000,
                           .help = "sample only from the k most probable next words (0 = all); "
                                   "applied after the temperature model.bias, as Hugging Face's "
                                   "generate",
                           .vectors = false});
    family.keys.push_back({.name = "top_p",
                           .type = ConfigKey::Type::kDouble,
                           .default_value = defaults.top_p,
                           .min = 0.0,
                           .max = 1.0,
                           .min_open = true,
                           .help = "nucleus sampling: the smallest set of most probable next "
                                   "words whose probability reaches p (1 = all), after top_k",
                           .vectors = false});
    family.keys.push_back(max_line_length_key());
    return family;
}());

}  // namespace
}  // namespace madlab
