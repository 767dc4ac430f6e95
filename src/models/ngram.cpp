// Interpolated modified Kneser-Ney n-gram model (see include/madlab/models/ngram.h).
// Reference: KenLM lmplz (github kpu/kenlm, lm/builder/adjust_counts.cc for the adjusted counts
// and discounts, initial_probabilities.cc for the discounted terms and gamma, interpolate.cc
// for the interpolation with the uniform distribution 1/(V - 1) "including <unk> but excluding
// <s>"). The estimation here is in memory with hash tables instead of lmplz's sorted streams.

#include "madlab/models/ngram.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <ostream>
#include <sstream>

#include "madlab/core/error.h"

namespace madlab {

namespace ngram_detail {

namespace {

std::uint64_t hash_key(const TokenId* key, int k) {
    std::uint64_t h = 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(k + 1);
    for (int i = 0; i < k; ++i) {
        h = (h ^ key[i]) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h ^= h >> 29;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 32;
    return h;
}

}  // namespace

std::uint32_t GramTable::find(const TokenId* key) const {
    if (slots_.empty()) return kNone;
    const std::uint64_t h = hash_key(key, k_);
    const std::uint64_t tag = h >> 32;
    for (std::size_t pos = h & mask_;; pos = (pos + 1) & mask_) {
        const std::uint64_t s = slots_[pos];
        if (s == 0) return kNone;
        if ((s >> 32) == tag) {
            const std::uint32_t idx = static_cast<std::uint32_t>(s) - 1;
            if (std::equal(key, key + k_, keys_.data() + static_cast<std::size_t>(idx) * k_))
                return idx;
        }
    }
}

std::uint32_t GramTable::insert(const TokenId* key, bool* added) {
    if ((size() + 1) * 2 > slots_.size()) grow();
    const std::uint64_t h = hash_key(key, k_);
    const std::uint64_t tag = h >> 32;
    std::size_t pos = h & mask_;
    for (;; pos = (pos + 1) & mask_) {
        const std::uint64_t s = slots_[pos];
        if (s == 0) break;
        if ((s >> 32) == tag) {
            const std::uint32_t idx = static_cast<std::uint32_t>(s) - 1;
            if (std::equal(key, key + k_, keys_.data() + static_cast<std::size_t>(idx) * k_)) {
                *added = false;
                return idx;
            }
        }
    }
    const std::size_t n = size();
    if (n >= kNone - 1) throw DataError("ngram: more than 2^32 - 2 distinct n-grams of one order");
    keys_.insert(keys_.end(), key, key + k_);
    slots_[pos] = (tag << 32) | static_cast<std::uint64_t>(n + 1);
    *added = true;
    return static_cast<std::uint32_t>(n);
}

void GramTable::reserve(std::size_t n) {
    if (n * 2 <= slots_.size()) return;
    keys_.reserve(n * k_);
    std::size_t cap = 16;
    while (cap < n * 2) cap *= 2;
    slots_.assign(cap, 0);
    mask_ = cap - 1;
    for (std::size_t i = 0; i < size(); ++i) {
        const std::uint64_t h = hash_key(key(i), k_);
        std::size_t pos = h & mask_;
        while (slots_[pos] != 0) pos = (pos + 1) & mask_;
        slots_[pos] = ((h >> 32) << 32) | static_cast<std::uint64_t>(i + 1);
    }
}

void GramTable::grow() { reserve(std::max<std::size_t>(8, slots_.size())); }

void GramTable::permute(const std::vector<std::uint32_t>& new_index) {
    std::vector<TokenId> keys(keys_.size());
    const std::size_t n = size();
    for (std::size_t i = 0; i < n; ++i)
        std::copy(key(i), key(i) + k_, keys.data() + static_cast<std::size_t>(new_index[i]) * k_);
    keys_.swap(keys);
    for (std::uint64_t& s : slots_) {
        if (s == 0) continue;
        const std::uint32_t idx = static_cast<std::uint32_t>(s) - 1;
        s = (s & 0xffffffff00000000ull) | static_cast<std::uint64_t>(new_index[idx] + 1);
    }
}

}  // namespace ngram_detail

namespace {

using ngram_detail::GramTable;
constexpr std::uint32_t kNone = GramTable::kNone;

template <class T>
void apply_permutation(std::vector<T>& v, const std::vector<std::uint32_t>& new_index) {
    std::vector<T> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[new_index[i]] = v[i];
    v.swap(out);
}

// Discount D(c) for an adjusted count c (lmplz's Discount::Apply subtracts amount[min(c, 3)],
// amount[0] = 0).
double discount_of(const std::array<double, 3>& d, std::uint32_t c) {
    return c == 0 ? 0.0 : d[std::min<std::uint32_t>(c, 3) - 1];
}

void append_number(std::string& s, double x) {
    char buf[64];
    x += 0.0;  // no "-0"
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    s.append(buf, r.ptr);
}

}  // namespace

NgramModel::NgramModel(NgramOptions options) : options_(options) {
    if (options_.order < 1 || options_.order > 6)
        throw ConfigError("ngram: order must be 1..6, got " + std::to_string(options_.order));
    for (int k = 0; k < 3; ++k) {
        const double d = options_.fallback_discounts[k];
        if (!(d > 0.0 && d < k + 1))
            throw ConfigError("ngram: fallback discount D" + std::to_string(k + 1) +
                              " must be in (0, " + std::to_string(k + 1) + ")");
    }
}

FitInfo NgramModel::fit(const Corpus& train) {
    fitted_ = false;
    const int n_order = options_.order;
    if (train.lines() == 0) throw DataError("ngram: the training text has no lines");
    TokenId max_id = Vocabulary::kEos;
    for (TokenId t : train.tokens) {
        if (t == Vocabulary::kBos || t == Vocabulary::kEos)
            throw DataError(
                "ngram: a training line contains <s> or </s> (they are implied around every "
                "line; remove them from the text)");
        max_id = std::max(max_id, t);
    }

    orders_.clear();
    orders_.resize(n_order);
    for (int k = 1; k <= n_order; ++k) orders_[k - 1].table = GramTable(k);

    // 1. Raw counts of the highest order, and of the shorter n-grams at a line start (they
    //    begin with <s>: lmplz pads and then collapses them, keeping their raw counts).
    {
        std::vector<TokenId> seq;
        for (std::size_t l = 0; l < train.lines(); ++l) {
            const auto line = train.line(l);
            seq.clear();
            seq.push_back(Vocabulary::kBos);
            seq.insert(seq.end(), line.begin(), line.end());
            seq.push_back(Vocabulary::kEos);
            Order& top = orders_[n_order - 1];
            for (std::size_t i = 1; i < seq.size(); ++i) {
                const std::size_t start = i + 1 >= static_cast<std::size_t>(n_order)
                                              ? i + 1 - static_cast<std::size_t>(n_order)
                                              : 0;
                const std::size_t k = i - start + 1;
                Order& o = k == static_cast<std::size_t>(n_order) ? top : orders_[k - 1];
                bool added = false;
                const std::uint32_t idx = o.table.insert(seq.data() + start, &added);
                if (added) o.count.push_back(0);
                ++o.count[idx];
            }
        }
    }
    // 2. Adjusted counts of the lower orders: one per distinct left extension (every n-gram of
    //    order k+1, those starting with <s> included, extends its suffix). Suffixes never start
    //    with <s>, so the raw counts of step 1 are not touched.
    for (int k = n_order - 1; k >= 1; --k) {
        Order& hi = orders_[k];
        Order& lo = orders_[k - 1];
        lo.table.reserve(lo.table.size() + hi.table.size() / 2);
        const std::size_t n_hi = hi.table.size();
        for (std::size_t i = 0; i < n_hi; ++i) {
            bool added = false;
            const std::uint32_t idx = lo.table.insert(hi.table.key(i) + 1, &added);
            if (added) lo.count.push_back(0);
            ++lo.count[idx];
        }
    }
    {
        Order& uni = orders_[0];
        for (TokenId special : {Vocabulary::kUnk, Vocabulary::kBos, Vocabulary::kEos}) {
            bool added = false;
            uni.table.insert(&special, &added);
            if (added) uni.count.push_back(0);
        }
    }

    // 3. Order the entries: unigrams by TokenId, each higher order by its context's entry, so
    //    that the successors of a context are contiguous.
    {
        Order& uni = orders_[0];
        const std::size_t v = uni.table.size();
        std::vector<std::uint32_t> by_id(v);
        std::iota(by_id.begin(), by_id.end(), 0u);
        std::sort(by_id.begin(), by_id.end(), [&](std::uint32_t a, std::uint32_t b) {
            return *uni.table.key(a) < *uni.table.key(b);
        });
        std::vector<std::uint32_t> new_index(v);
        for (std::size_t i = 0; i < v; ++i) new_index[by_id[i]] = static_cast<std::uint32_t>(i);
        uni.table.permute(new_index);
        apply_permutation(uni.count, new_index);
    }
    for (int k = 2; k <= n_order; ++k) {
        Order& o = orders_[k - 1];
        Order& ctx = orders_[k - 2];
        const std::size_t n = o.table.size();
        std::vector<std::uint32_t> parent(n);
        std::vector<std::uint32_t>& begin = ctx.child_begin;
        begin.assign(ctx.table.size() + 1, 0);
        for (std::size_t i = 0; i < n; ++i) {
            parent[i] = ctx.table.find(o.table.key(i));
            ++begin[parent[i] + 1];
        }
        for (std::size_t j = 1; j < begin.size(); ++j) begin[j] += begin[j - 1];
        std::vector<std::uint32_t> next(begin.begin(), begin.end() - 1);
        std::vector<std::uint32_t> new_index(n);
        for (std::size_t i = 0; i < n; ++i) new_index[i] = next[parent[i]]++;
        o.table.permute(new_index);
        apply_permutation(o.count, new_index);
    }

    // 4. Counts-of-counts and discounts (Chen & Goodman eq. 26; lmplz's StatCollector).
    discounts_.assign(n_order, {});
    counts_of_counts_.assign(n_order, {});
    std::string note;
    for (int k = 1; k <= n_order; ++k) {
        auto& n = counts_of_counts_[k - 1];
        for (std::uint32_t c : orders_[k - 1].count)
            if (c >= 1 && c <= 4) ++n[c - 1];
        std::string problem;
        std::array<double, 3> d{};
        for (int j = 1; j <= 3 && problem.empty(); ++j)
            if (n[j - 1] == 0)
                problem =
                    "no " + std::to_string(k) + "-grams with adjusted count " + std::to_string(j);
        if (problem.empty()) {
            const double y = static_cast<double>(n[0]) / (static_cast<double>(n[0]) + 2.0 * n[1]);
            for (int j = 1; j <= 3; ++j) {
                d[j - 1] =
                    j - (j + 1) * y * static_cast<double>(n[j]) / static_cast<double>(n[j - 1]);
                if ((d[j - 1] < 0.0 || d[j - 1] > j) && problem.empty())
                    problem = "discount D" + std::to_string(j) + " = " + std::to_string(d[j - 1]) +
                              " outside [0, " + std::to_string(j) + "]";
            }
        }
        if (!problem.empty()) {
            std::ostringstream msg;
            msg << "ngram: cannot estimate the Kneser-Ney discounts of order " << k << " ("
                << problem << "; counts-of-counts of the adjusted counts n1=" << n[0]
                << " n2=" << n[1] << " n3=" << n[2] << " n4=" << n[3]
                << "). The text has lost its singletons, as a collapsed synthetic corpus does "
                   "(lmplz's BadDiscountException)";
            if (options_.fallback == NgramOptions::DiscountFallback::kError)
                throw DataError(msg.str() +
                                "; set the discount fallback to use D1 D2 D3+ = 0.5 1 1.5");
            d = options_.fallback_discounts;
            if (!note.empty()) note += "; ";
            note += msg.str() + "; used the fallback discounts " + std::to_string(d[0]) + " " +
                    std::to_string(d[1]) + " " + std::to_string(d[2]);
        }
        discounts_[k - 1] = d;
    }

    // 5. Discounted terms, gammas and interpolated probabilities, order by order (lmplz's
    //    InitialProbabilities and Interpolate).
    Order& uni = orders_[0];
    const std::size_t v = uni.table.size();
    word_index_.assign(static_cast<std::size_t>(max_id) + 1, kNone);
    for (std::size_t i = 0; i < v; ++i)
        word_index_[*uni.table.key(i)] = static_cast<std::uint32_t>(i);
    unk_entry_ = word_index_[Vocabulary::kUnk];
    bos_entry_ = word_index_[Vocabulary::kBos];
    eos_entry_ = word_index_[Vocabulary::kEos];
    uniform_ = 1.0 / static_cast<double>(v - 1);

    std::vector<double> prev_prob(v);  // linear interpolated probabilities of the order below
    {
        const auto& d = discounts_[0];
        double denom = 0.0;
        std::array<double, 3> nk{};
        for (std::uint32_t c : uni.count) {
            denom += c;
            if (c > 0) nk[std::min<std::uint32_t>(c, 3) - 1] += 1.0;
        }
        root_gamma_ = (d[0] * nk[0] + d[1] * nk[1] + d[2] * nk[2]) / denom;
        uni.log10_prob.resize(v);
        uni.cum_alpha.resize(v);
        double cum = 0.0;
        for (std::size_t i = 0; i < v; ++i) {
            const std::uint32_t c = uni.count[i];
            const double alpha = (c - discount_of(d, c)) / denom;
            cum += alpha;
            uni.cum_alpha[i] = cum;
            const double p = i == bos_entry_ ? 0.0 : alpha + root_gamma_ * uniform_;
            prev_prob[i] = p;
            uni.log10_prob[i] = i == bos_entry_ ? 0.0 : std::min(0.0, std::log10(p));
        }
        root_max_ = *std::max_element(prev_prob.begin(), prev_prob.end());
    }
    for (int k = 2; k <= n_order; ++k) {
        Order& o = orders_[k - 1];
        Order& ctx = orders_[k - 2];
        const auto& d = discounts_[k - 1];
        const std::size_t n_ctx = ctx.table.size();
        const std::size_t n = o.table.size();
        ctx.log10_backoff.assign(n_ctx, 0.0);
        ctx.max_bound.assign(n_ctx, 1.0);
        o.log10_prob.resize(n);
        o.cum_alpha.resize(n);
        std::vector<double> prob(n);
        for (std::size_t j = 0; j < n_ctx; ++j) {
            const std::uint32_t b = ctx.child_begin[j], e = ctx.child_begin[j + 1];
            // M of the context's suffix c' (the empty context for a unigram context).
            double suffix_bound = root_max_;
            if (k > 2) {
                const Order& below = orders_[k - 3];
                const std::uint32_t s = below.table.find(ctx.table.key(j) + 1);
                suffix_bound = s == kNone ? 1.0 : below.max_bound[s];
            }
            ctx.max_bound[j] = suffix_bound;
            if (b == e) continue;
            double denom = 0.0;
            std::array<double, 3> nk{};
            for (std::uint32_t i = b; i < e; ++i) {
                const std::uint32_t c = o.count[i];
                denom += c;
                if (c > 0) nk[std::min<std::uint32_t>(c, 3) - 1] += 1.0;
            }
            const double gamma = (d[0] * nk[0] + d[1] * nk[1] + d[2] * nk[2]) / denom;
            ctx.log10_backoff[j] = std::log10(gamma);
            double cum = 0.0, max_alpha = 0.0;
            for (std::uint32_t i = b; i < e; ++i) {
                const std::uint32_t c = o.count[i];
                const double alpha = (c - discount_of(d, c)) / denom;
                cum += alpha;
                o.cum_alpha[i] = cum;
                max_alpha = std::max(max_alpha, alpha);
                const TokenId* key = o.table.key(i);
                const std::uint32_t suffix =
                    k == 2 ? word_index_[key[1]] : orders_[k - 2].table.find(key + 1);
                const double p = alpha + gamma * prev_prob[suffix];
                prob[i] = p;
                o.log10_prob[i] = std::min(0.0, std::log10(p));
            }
            ctx.max_bound[j] = std::min(1.0, max_alpha + gamma * suffix_bound);
        }
        prev_prob.swap(prob);
    }
    vocabulary_ = train.vocabulary;
    fitted_ = true;
    FitInfo info;
    info.degenerate = !note.empty();
    info.note = note;
    return info;
}

bool NgramModel::known(TokenId word) const {
    return word < word_index_.size() && word_index_[word] != kNone;
}

TokenId NgramModel::canonical(TokenId id) const { return known(id) ? id : Vocabulary::kUnk; }

std::uint32_t NgramModel::word_index(TokenId id) const {
    return known(id) ? word_index_[id] : unk_entry_;
}

double NgramModel::log10_prob(std::span<const TokenId> context, TokenId word) const {
    if (!fitted_) throw Error("ngram: log10_prob() before fit()");
    const std::size_t n_ctx = std::min<std::size_t>(options_.order - 1, context.size());
    std::array<TokenId, 6> buf{};
    for (std::size_t i = 0; i < n_ctx; ++i) buf[i] = canonical(context[context.size() - n_ctx + i]);
    buf[n_ctx] = canonical(word);
    double p = orders_[0].log10_prob[word_index(word)];
    std::size_t matched = 0;
    for (std::size_t len = 1; len <= n_ctx; ++len) {
        const std::uint32_t idx = orders_[len].table.find(&buf[n_ctx - len]);
        if (idx == kNone) break;
        p = orders_[len].log10_prob[idx];
        matched = len;
    }
    for (std::size_t len = matched + 1; len <= n_ctx; ++len) {
        const std::uint32_t idx = orders_[len - 1].table.find(&buf[n_ctx - len]);
        if (idx == kNone) break;
        p += orders_[len - 1].log10_backoff[idx];
    }
    return p;
}

double NgramModel::sentence_log10(std::span<const TokenId> line) const {
    std::vector<TokenId> ctx;
    ctx.reserve(line.size() + 2);
    ctx.push_back(Vocabulary::kBos);
    double total = 0.0;
    for (TokenId w : line) {
        total += log10_prob(ctx, w);
        ctx.push_back(w);
    }
    return total + log10_prob(ctx, Vocabulary::kEos);
}

NgramModel::Perplexity NgramModel::perplexity(const Corpus& text) const {
    if (!fitted_) throw Error("ngram: perplexity() before fit()");
    Perplexity r;
    double oov_sum = 0.0;
    std::vector<TokenId> ctx;
    for (std::size_t l = 0; l < text.lines(); ++l) {
        const auto line = text.line(l);
        ctx.assign(1, Vocabulary::kBos);
        for (TokenId w : line) {
            const double lp = log10_prob(ctx, w);
            r.log10_sum += lp;
            if (!known(w) || w == Vocabulary::kUnk) {
                ++r.oov;
                oov_sum += lp;
            }
            ctx.push_back(w);
        }
        r.log10_sum += log10_prob(ctx, Vocabulary::kEos);
        r.tokens += line.size() + 1;
    }
    if (r.tokens == 0) throw DataError("ngram: perplexity of a text with no lines");
    r.perplexity = std::pow(10.0, -r.log10_sum / static_cast<double>(r.tokens));
    r.perplexity_excluding_oov =
        r.tokens > r.oov
            ? std::pow(10.0, -(r.log10_sum - oov_sum) / static_cast<double>(r.tokens - r.oov))
            : 0.0;
    return r;
}

void NgramModel::write_arpa(std::ostream& out,
                            const std::function<std::string(TokenId)>& word_of) const {
    if (!fitted_) throw Error("ngram: write_arpa() before fit()");
    const int n_order = options_.order;
    out << "\\data\\\n";
    for (int k = 1; k <= n_order; ++k) out << "ngram " << k << "=" << ngram_count(k) << "\n";
    std::string line;
    for (int k = 1; k <= n_order; ++k) {
        const Order& o = orders_[k - 1];
        out << "\n\\" << k << "-grams:\n";
        for (std::size_t i = 0; i < o.table.size(); ++i) {
            line.clear();
            append_number(line, o.log10_prob[i]);
            const TokenId* key = o.table.key(i);
            for (int j = 0; j < k; ++j) {
                line += j == 0 ? '\t' : ' ';
                line += word_of(key[j]);
            }
            if (k < n_order) {
                line += '\t';
                append_number(line, o.log10_backoff[i]);
            }
            line += '\n';
            out << line;
        }
    }
    out << "\n\\end\\\n";
}

std::size_t NgramModel::find_contexts(std::span<const TokenId> context,
                                      std::array<std::uint32_t, 6>& entries) const {
    const std::size_t n_ctx = std::min<std::size_t>(options_.order - 1, context.size());
    std::array<TokenId, 6> buf{};
    for (std::size_t i = 0; i < n_ctx; ++i) buf[i] = canonical(context[context.size() - n_ctx + i]);
    std::size_t m = 0;
    for (std::size_t len = 1; len <= n_ctx; ++len) {
        const std::uint32_t idx = orders_[len - 1].table.find(&buf[n_ctx - len]);
        if (idx == kNone) break;
        entries[len - 1] = idx;
        m = len;
    }
    return m;
}

std::uint32_t NgramModel::draw_fast(std::span<const TokenId> context, Rng& rng) const {
    std::array<std::uint32_t, 6> entries{};
    const std::size_t m = find_contexts(context, entries);
    return draw_fast(entries, m, rng);
}

std::uint32_t NgramModel::draw_fast(const std::array<std::uint32_t, 6>& entries, std::size_t m,
                                    Rng& rng) const {
    for (std::size_t len = m; len >= 1; --len) {
        const Order& ctx = orders_[len - 1];
        const std::uint32_t j = entries[len - 1];
        const std::uint32_t b = ctx.child_begin[j], e = ctx.child_begin[j + 1];
        if (b == e) continue;
        const Order& ch = orders_[len];
        const double u = rng.uniform();
        if (u < ch.cum_alpha[e - 1]) {
            const auto it = std::upper_bound(ch.cum_alpha.begin() + b, ch.cum_alpha.begin() + e, u);
            const std::size_t i = static_cast<std::size_t>(it - ch.cum_alpha.begin());
            return ch.table.key(i)[len];
        }
    }
    const Order& uni = orders_[0];
    const double u = rng.uniform();
    if (u < uni.cum_alpha.back()) {
        const auto it = std::upper_bound(uni.cum_alpha.begin(), uni.cum_alpha.end(), u);
        return *uni.table.key(static_cast<std::size_t>(it - uni.cum_alpha.begin()));
    }
    std::uint64_t r = rng.uniform_int(uni.table.size() - 1);
    if (r >= bos_entry_) ++r;
    return *uni.table.key(r);
}

std::uint32_t NgramModel::draw_tempered(std::span<const TokenId> context, double temperature,
                                        Rng& rng, std::vector<double>& work,
                                        std::vector<std::uint32_t>& order_work) const {
    constexpr int kMaxTrials = 256;
    std::array<std::uint32_t, 6> entries{};
    const std::size_t m = find_contexts(context, entries);
    const double bound = m == 0 ? root_max_ : orders_[m - 1].max_bound[entries[m - 1]];
    const double log10_bound = std::log10(bound);
    const double exponent = 1.0 / temperature - 1.0;
    for (int trial = 0; trial < kMaxTrials; ++trial) {
        const TokenId w = draw_fast(entries, m, rng);
        // Accept with probability (p / M)^exponent, compared in log10.
        const double log10_accept = exponent * (log10_prob(context, w) - log10_bound);
        if (std::log10(rng.uniform()) < log10_accept) return w;
    }
    // Exact as well: the target distribution does not depend on the trials rejected before.
    return draw_dense(context, temperature, 0, 1.0, rng, work, order_work);
}

std::uint32_t NgramModel::draw_dense(std::span<const TokenId> context, double temperature,
                                     int top_k, double top_p, Rng& rng, std::vector<double>& p,
                                     std::vector<std::uint32_t>& idx) const {
    const Order& uni = orders_[0];
    const std::size_t v = uni.table.size();
    // The exact distribution over the unigram entries: p_0 = unigram probabilities, then
    // p_len = alpha(ctx_len w) + gamma(ctx_len) p_{len-1} for the context suffixes in the model.
    p.assign(v, 0.0);
    double prev = 0.0;
    for (std::size_t i = 0; i < v; ++i) {
        const double alpha = uni.cum_alpha[i] - prev;
        prev = uni.cum_alpha[i];
        p[i] = i == bos_entry_ ? 0.0 : alpha + root_gamma_ * uniform_;
    }
    std::array<std::uint32_t, 6> entries{};
    const std::size_t m = find_contexts(context, entries);
    for (std::size_t len = 1; len <= m; ++len) {
        const Order& ctx = orders_[len - 1];
        const std::uint32_t j = entries[len - 1];
        const std::uint32_t b = ctx.child_begin[j], e = ctx.child_begin[j + 1];
        if (b == e) continue;
        const double gamma = std::pow(10.0, ctx.log10_backoff[j]);
        for (double& x : p) x *= gamma;
        const Order& ch = orders_[len];
        double before = 0.0;
        for (std::uint32_t i = b; i < e; ++i) {
            p[word_index_[ch.table.key(i)[len]]] += ch.cum_alpha[i] - before;
            before = ch.cum_alpha[i];
        }
    }
    if (temperature != 1.0) {
        double max_log = -HUGE_VAL;
        for (double& x : p) {
            x = x > 0.0 ? std::log(x) / temperature : -HUGE_VAL;
            max_log = std::max(max_log, x);
        }
        for (double& x : p) x = std::exp(x - max_log);
    }
    // Most probable first, ties by entry: a total order, so the kept set is unique.
    const auto by_prob = [&](std::uint32_t a, std::uint32_t b) {
        return p[a] > p[b] || (p[a] == p[b] && a < b);
    };
    const std::size_t n_words = v - 1;
    if (top_k > 0 && static_cast<std::size_t>(top_k) < n_words) {
        idx.resize(v);
        std::iota(idx.begin(), idx.end(), 0u);
        std::partial_sort(idx.begin(), idx.begin() + top_k, idx.end(), by_prob);
        for (std::size_t r = static_cast<std::size_t>(top_k); r < v; ++r) p[idx[r]] = 0.0;
    }
    if (top_p < 1.0) {
        const double total = std::accumulate(p.begin(), p.end(), 0.0);
        idx.clear();
        for (std::uint32_t i = 0; i < v; ++i)
            if (p[i] > 0.0) idx.push_back(i);
        std::sort(idx.begin(), idx.end(), by_prob);
        double cum = 0.0;
        std::size_t keep = 0;
        while (keep < idx.size() && cum < top_p * total) cum += p[idx[keep++]];
        for (std::size_t r = keep; r < idx.size(); ++r) p[idx[r]] = 0.0;
    }
    const double total = std::accumulate(p.begin(), p.end(), 0.0);
    double u = rng.uniform() * total;
    std::size_t last = 0;
    for (std::size_t i = 0; i < v; ++i) {
        if (p[i] <= 0.0) continue;
        last = i;
        u -= p[i];
        if (u < 0.0) return *uni.table.key(i);
    }
    return *uni.table.key(last);  // rounding: u ended at the total
}

Corpus NgramModel::sample(std::size_t n_lines, double temperature, Rng& rng, std::size_t max_len,
                          int top_k, double top_p) const {
    if (!fitted_) throw Error("ngram: sample() before fit()");
    if (!(temperature > 0.0) || !std::isfinite(temperature))
        throw ConfigError("ngram: sampling temperature must be > 0");
    if (top_k < 0) throw ConfigError("ngram: top_k must be >= 0 (0 = off)");
    if (!(top_p > 0.0 && top_p <= 1.0)) throw ConfigError("ngram: top_p must be in (0, 1]");
    const bool plain = top_k == 0 && top_p >= 1.0;
    const bool fast = plain && temperature == 1.0;
    const bool tempered = plain && temperature < 1.0;
    Corpus out;
    out.vocabulary = vocabulary_;
    std::vector<TokenId> ctx;
    std::vector<double> work;
    std::vector<std::uint32_t> idx;
    const std::size_t keep = static_cast<std::size_t>(options_.order - 1);
    for (std::size_t l = 0; l < n_lines; ++l) {
        ctx.assign(1, Vocabulary::kBos);
        for (std::size_t t = 0; t < max_len; ++t) {
            const std::span<const TokenId> c(
                ctx.data() + (ctx.size() > keep ? ctx.size() - keep : 0),
                std::min(ctx.size(), keep));
            const TokenId w = fast       ? draw_fast(c, rng)
                              : tempered ? draw_tempered(c, temperature, rng, work, idx)
                                         : draw_dense(c, temperature, top_k, top_p, rng, work, idx);
            if (w == Vocabulary::kEos) break;
            out.tokens.push_back(w);
            ctx.push_back(w);
        }
        out.offsets.push_back(out.tokens.size());
    }
    return out;
}

std::size_t NgramModel::memory_bytes() const {
    std::size_t b = word_index_.capacity() * sizeof(std::uint32_t);
    for (const Order& o : orders_) {
        b += o.table.memory_bytes() + o.count.capacity() * sizeof(std::uint32_t) +
             (o.log10_prob.capacity() + o.log10_backoff.capacity() + o.cum_alpha.capacity() +
              o.max_bound.capacity()) *
                 sizeof(double) +
             o.child_begin.capacity() * sizeof(std::uint32_t);
    }
    return b;
}

}  // namespace madlab
