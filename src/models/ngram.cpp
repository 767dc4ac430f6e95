// Interpolated modified Kneser-Ney n-gram model (see include/madlab/models/ngram.h).
// Reference: KenLM lmplz (github kpu/kenlm, lm/builder/adjust_counts.cc for the adjusted counts
// and discounts, initial_probabilities.cc for the discounted terms and gamma, interpolate.cc
// for the interpolation with the uniform distribution 1/(V - 1) "including <unk> but excluding
// <s>"). The estimation here is in memory and counts by sorting, as lmplz does on its streams:
// the n-grams of each order are radix-sorted positions in the padded text (no hash tables).

#include "madlab/models/ngram.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include "madlab/core/error.h"

namespace madlab {

namespace {

constexpr std::uint32_t kNone = 0xffffffffu;

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

// The smallest float >= x (a bound stays a bound when stored as float).
float round_up(double x) {
    float f = static_cast<float>(x);
    if (static_cast<double>(f) < x) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

// Stable LSD radix sort of `items` by `len` digits, digit(item, d) < n_buckets for d = 0..len-1
// (d = 0 the most significant). The histograms of all digits are taken in one pass over the
// items in their initial order (positions in increasing order: sequential reads of the text);
// a digit that is the same for every item is skipped.
template <class Digit>
void radix_sort(std::vector<std::uint32_t>& items, std::vector<std::uint32_t>& tmp, int len,
                std::size_t n_buckets, Digit digit) {
    if (len <= 0 || items.size() < 2) return;
    std::vector<std::uint32_t> hist(static_cast<std::size_t>(len) * n_buckets, 0);
    for (std::uint32_t x : items)
        for (int d = 0; d < len; ++d) ++hist[static_cast<std::size_t>(d) * n_buckets + digit(x, d)];
    tmp.resize(items.size());
    for (int d = len - 1; d >= 0; --d) {
        std::uint32_t* h = hist.data() + static_cast<std::size_t>(d) * n_buckets;
        if (h[digit(items[0], d)] == items.size()) continue;
        std::uint32_t sum = 0;
        for (std::size_t b = 0; b < n_buckets; ++b) {
            const std::uint32_t c = h[b];
            h[b] = sum;
            sum += c;
        }
        for (std::uint32_t x : items) tmp[h[digit(x, d)]++] = x;
        items.swap(tmp);
    }
}

// log sum_i exp(t_i), -infinity for no terms (or all -infinity).
double log_sum_exp(const std::vector<double>& t) {
    double mx = -HUGE_VAL;
    for (double x : t) mx = std::max(mx, x);
    if (mx == -HUGE_VAL) return mx;
    double sum = 0.0;
    for (double x : t) sum += std::exp(x - mx);
    return mx + std::log(sum);
}

// Lower bound of w in the sorted words[b, e).
std::uint32_t lower_bound_word(const std::uint32_t* words, std::uint32_t b, std::uint32_t e,
                               std::uint32_t w) {
    std::uint32_t n = e - b;
    const std::uint32_t* base = words + b;
    while (n > 1) {
        const std::uint32_t half = n / 2;
        base = base[half] <= w ? base + half : base;
        n -= half;
    }
    return static_cast<std::uint32_t>(base - words) + (n == 1 && *base < w ? 1 : 0);
}

}  // namespace

// The tables of the top-k / top-p sampler, built once per fitted model on first use.
struct NgramModel::TopCache {
    std::once_flag once;
    // Unigram entries without <s>, by interpolated probability (descending), then entry.
    std::vector<std::uint32_t> uni_order;
    // perm[k - 1] (orders k >= 2): within the successors of each context, their entries by
    // interpolated probability p(w | context) (descending), then by entry.
    std::vector<std::vector<std::uint32_t>> perm;
    // The nucleus sampler's sums (inclusive prefix sums within each context's range, in the
    // order of the list beside them): uni_pre of uni_prob_ along uni_order; pre[k - 1] of prob
    // along perm[k - 1]; xperm[k - 1]: for the successors (c s) of each context c, the entry
    // of their suffix (c' s) one order below (the unigram entry of s for k = 2), by the
    // suffix's probability p(s | c') (descending), then by entry; xpre[k - 1] of those
    // probabilities.
    std::vector<double> uni_pre, uni_sorted;  // uni_sorted: uni_prob_ along uni_order
    std::vector<std::vector<double>> pre, xpre;
    std::vector<std::vector<std::uint32_t>> xperm;
};

NgramModel::NgramModel(NgramOptions options) : options_(options) {
    if (options_.order < 1 || options_.order > 6)
        throw ConfigError("ngram: order must be 1..6, got " + std::to_string(options_.order));
    for (int k = 0; k < 3; ++k) {
        const double d = options_.fallback_discounts[k];
        if (!(d > 0.0 && d < k + 1))
            throw ConfigError("ngram: fallback discount D" + std::to_string(k + 1) +
                              " must be in (0, " + std::to_string(k + 1) + ")");
    }
    if (options_.top_k < 0)
        throw ConfigError("ngram: top_k must be >= 0 (0 keeps every word), got " +
                          std::to_string(options_.top_k));
    if (!(options_.top_p > 0.0 && options_.top_p <= 1.0))
        throw ConfigError("ngram: top_p must be in (0, 1] (1 keeps every word), got " +
                          std::to_string(options_.top_p));
}

// The training text as fit() counts it.
struct NgramModel::PaddedText {
    // <s> w_1 .. w_n </s> for every line. An n-gram is represented by a position in s where it
    // occurs (the first, in sorted order).
    std::vector<TokenId> s;
    std::vector<std::uint32_t> line_begin;  // position of each line's <s>, then s.size()
    std::size_t n_buckets = 0;              // radix-sort buckets: the largest TokenId + 1
    // True if the k tokens from position a equal the k tokens from position b.
    bool equal(std::uint32_t a, std::uint32_t b, int k) const {
        return std::equal(s.begin() + a, s.begin() + a + k, s.begin() + b);
    }
    // Appends the runs of equal keys (the k tokens from each position) of the sorted positions
    // `sorted`: the first position of each run to `pos`, its length to `cnt`.
    void count_runs(const std::vector<std::uint32_t>& sorted, int k,
                    std::vector<std::uint32_t>& pos, std::vector<std::uint32_t>& cnt) const {
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            if (i > 0 && equal(sorted[i], pos.back(), k)) {
                ++cnt.back();
            } else {
                pos.push_back(sorted[i]);
                cnt.push_back(1);
            }
        }
    }
};

// The n-grams of every order while fit() counts them, before they become the tables of orders_.
struct NgramModel::SortedNgrams {
    // pos[k - 1], cnt[k - 1]: the distinct n-grams of order k in lexicographic order of their
    // TokenIds (a representative position in the padded text, the adjusted count).
    std::vector<std::vector<std::uint32_t>> pos, cnt;
    // link[k - 1] (3 <= k <= order - 1): the entry of order k - 1 that is the suffix of each
    // entry of order k (for the bound M of the contexts, context_backoffs).
    std::vector<std::vector<std::uint32_t>> link;
};

// The stages follow lmplz's pipeline (kenlm lm/builder: corpus_count, adjust_counts,
// initial_probabilities, interpolate), in memory and counting by sorting.
FitInfo NgramModel::fit(const Corpus& train) {
    fitted_ = false;
    top_cache_ = std::make_shared<TopCache>();
    PaddedText text = pad_text(train);
    SortedNgrams ngrams = count_ngrams(text, options_.order);
    adjust_counts(text, ngrams);
    build_unigrams(text, ngrams);
    tally_counts_of_counts(ngrams);
    group_by_context(text, ngrams);
    // The tables of orders_ hold the n-grams now; only the suffix links are still needed.
    text = PaddedText{};
    std::vector<std::vector<std::uint32_t>>().swap(ngrams.pos);
    std::vector<std::vector<std::uint32_t>>().swap(ngrams.cnt);
    const std::string note = estimate_discounts();
    interpolate_unigrams();
    context_backoffs(ngrams);
    interpolate_levels();
    vocabulary_ = train.vocabulary;
    fitted_ = true;
    FitInfo info;
    info.degenerate = !note.empty();
    info.note = note;
    return info;
}

// Checks the training lines and pads each as <s> w_1 .. w_n </s>; throws DataError when there
// are no lines, a line holds <s> or </s>, or the padded text has 2^32 - 8 tokens or more.
NgramModel::PaddedText NgramModel::pad_text(const Corpus& train) {
    if (train.lines() == 0) throw DataError("ngram: the training text has no lines");
    TokenId max_id = Vocabulary::kEos;
    for (TokenId t : train.tokens) {
        if (t == Vocabulary::kBos || t == Vocabulary::kEos)
            throw DataError(
                "ngram: a training line contains <s> or </s> (they are implied around every "
                "line; remove them from the text)");
        max_id = std::max(max_id, t);
    }
    PaddedText text;
    text.n_buckets = static_cast<std::size_t>(max_id) + 1;
    const std::size_t total = train.tokens.size() + 2 * train.lines();
    if (total >= kNone - 8)
        throw DataError("ngram: the training text has more than 2^32 - 8 tokens");
    text.s.reserve(total);
    text.line_begin.reserve(train.lines() + 1);
    for (std::size_t l = 0; l < train.lines(); ++l) {
        const auto line = train.line(l);
        text.line_begin.push_back(static_cast<std::uint32_t>(text.s.size()));
        text.s.push_back(Vocabulary::kBos);
        text.s.insert(text.s.end(), line.begin(), line.end());
        text.s.push_back(Vocabulary::kEos);
    }
    text.line_begin.push_back(static_cast<std::uint32_t>(text.s.size()));
    return text;
}

// Raw counts of the highest order (lmplz's corpus_count): every window of `order` tokens inside
// a padded line, sorted, runs of equal keys being the n-grams; order 1 leaves every list empty
// (build_unigrams counts its tokens).
NgramModel::SortedNgrams NgramModel::count_ngrams(const PaddedText& text, int order) {
    SortedNgrams ngrams;
    ngrams.pos.resize(order);
    ngrams.cnt.resize(order);
    ngrams.link.resize(order);
    if (order < 2) return ngrams;
    const auto& s = text.s;
    std::vector<std::uint32_t> items, tmp;
    items.reserve(s.size());
    for (std::size_t l = 0; l + 1 < text.line_begin.size(); ++l)
        for (std::uint32_t p = text.line_begin[l]; p + order <= text.line_begin[l + 1]; ++p)
            items.push_back(p);
    radix_sort(items, tmp, order, text.n_buckets, [&](std::uint32_t x, int d) { return s[x + d]; });
    text.count_runs(items, order, ngrams.pos[order - 1], ngrams.cnt[order - 1]);
    return ngrams;
}

// Adjusted counts of orders 2 .. order - 1 (lmplz's adjust_counts), from the order above, and
// the suffix links: one per distinct left extension (every n-gram of order k+1, those starting
// with <s> included, extends its suffix), found by sorting the suffixes. The n-grams of order
// k < order that start with <s> (line starts: lmplz pads and then collapses them) keep their
// raw counts; suffixes never start with <s>, so the two lists are disjoint and merge by their
// first token.
void NgramModel::adjust_counts(const PaddedText& text, SortedNgrams& ngrams) {
    const int n_order = static_cast<int>(ngrams.pos.size());
    const auto& s = text.s;
    const auto& line_begin = text.line_begin;
    std::vector<std::uint32_t> items, tmp;
    for (int k = n_order - 1; k >= 2; --k) {
        const auto& hi = ngrams.pos[k];
        const bool want_link = k + 1 >= 3 && k + 1 <= n_order - 1;
        auto& link = ngrams.link[k];
        items.resize(hi.size());
        std::iota(items.begin(), items.end(), 0u);
        radix_sort(items, tmp, k, text.n_buckets,
                   [&](std::uint32_t x, int d) { return s[hi[x] + 1 + d]; });
        std::vector<std::uint32_t> suf_pos, suf_cnt;
        if (want_link) link.assign(hi.size(), 0);
        for (std::size_t i = 0; i < items.size(); ++i) {
            const std::uint32_t p = hi[items[i]] + 1;
            if (i > 0 && text.equal(p, suf_pos.back(), k)) {
                ++suf_cnt.back();
            } else {
                suf_pos.push_back(p);
                suf_cnt.push_back(1);
            }
            if (want_link) link[items[i]] = static_cast<std::uint32_t>(suf_pos.size() - 1);
        }
        // Line starts of at least k tokens, sorted by tokens 1..k-1 (token 0 is <s>).
        items.clear();
        for (std::size_t l = 0; l + 1 < line_begin.size(); ++l)
            if (line_begin[l] + k <= line_begin[l + 1]) items.push_back(line_begin[l]);
        radix_sort(items, tmp, k, text.n_buckets, [&](std::uint32_t x, int d) { return s[x + d]; });
        std::vector<std::uint32_t> start_pos, start_cnt;
        text.count_runs(items, k, start_pos, start_cnt);
        // Suffixes starting with <unk> (id 0) sort before the <s> n-grams, the others after.
        const std::size_t split = static_cast<std::size_t>(
            std::partition_point(suf_pos.begin(), suf_pos.end(),
                                 [&](std::uint32_t p) { return s[p] < Vocabulary::kBos; }) -
            suf_pos.begin());
        auto& P = ngrams.pos[k - 1];
        auto& C = ngrams.cnt[k - 1];
        P.reserve(suf_pos.size() + start_pos.size());
        C.reserve(suf_pos.size() + start_pos.size());
        P.insert(P.end(), suf_pos.begin(), suf_pos.begin() + split);
        C.insert(C.end(), suf_cnt.begin(), suf_cnt.begin() + split);
        P.insert(P.end(), start_pos.begin(), start_pos.end());
        C.insert(C.end(), start_cnt.begin(), start_cnt.end());
        P.insert(P.end(), suf_pos.begin() + split, suf_pos.end());
        C.insert(C.end(), suf_cnt.begin() + split, suf_cnt.end());
        if (want_link)
            for (std::uint32_t& r : link)
                if (r >= split) r += static_cast<std::uint32_t>(start_pos.size());
    }
}

// Builds the unigram table (orders_[0], by TokenId) and word_index_: adjusted counts from the
// bigrams (raw counts for order 1), plus <unk>, <s> and </s> (adjusted count 0 if they never
// occur).
void NgramModel::build_unigrams(const PaddedText& text, const SortedNgrams& ngrams) {
    const int n_order = options_.order;
    const auto& s = text.s;
    const std::size_t n_buckets = text.n_buckets;
    orders_.clear();
    orders_.resize(n_order);
    std::vector<std::uint32_t> count(n_buckets, 0);
    std::vector<std::uint8_t> seen(n_buckets, 0);
    if (n_order >= 2) {
        for (std::uint32_t p : ngrams.pos[1]) {
            ++count[s[p + 1]];
            seen[s[p + 1]] = 1;
        }
    } else {
        for (TokenId t : s)
            if (t != Vocabulary::kBos) {
                ++count[t];
                seen[t] = 1;
            }
    }
    for (TokenId special : {Vocabulary::kUnk, Vocabulary::kBos, Vocabulary::kEos})
        seen[special] = 1;
    Order& uni = orders_[0];
    word_index_.assign(n_buckets, kNone);
    for (std::size_t t = 0; t < n_buckets; ++t) {
        if (!seen[t]) continue;
        word_index_[t] = static_cast<std::uint32_t>(uni.word.size());
        uni.word.push_back(static_cast<std::uint32_t>(t));
        uni.cum.push_back(count[t]);
    }
    unk_entry_ = word_index_[Vocabulary::kUnk];
    bos_entry_ = word_index_[Vocabulary::kBos];
    eos_entry_ = word_index_[Vocabulary::kEos];
}

// Sets counts_of_counts_: n_1..n_4 of the adjusted counts of every order (the unigrams' from
// orders_[0], the other orders' from `ngrams`), the statistics of the discounts.
void NgramModel::tally_counts_of_counts(const SortedNgrams& ngrams) {
    const int n_order = options_.order;
    counts_of_counts_.assign(n_order, {});
    for (std::uint32_t c : orders_[0].cum)
        if (c >= 1 && c <= 4) ++counts_of_counts_[0][c - 1];
    for (int k = 2; k <= n_order; ++k) {
        auto& nk = counts_of_counts_[k - 1];
        for (std::uint32_t c : ngrams.cnt[k - 1])
            if (c >= 1 && c <= 4) ++nk[c - 1];
    }
}

// Moves the n-grams of orders >= 2 into orders_ (see "Storage" in ngram.h), highest first: the
// context of each entry (its prefix, one order below, found by walking both sorted lists), then
// the positions become the last words and the counts become cumulative within each context;
// leaves ngrams.pos and ngrams.cnt empty.
void NgramModel::group_by_context(const PaddedText& text, SortedNgrams& ngrams) {
    const int n_order = options_.order;
    const auto& s = text.s;
    auto& pos = ngrams.pos;
    for (int k = n_order; k >= 2; --k) {
        Order& o = orders_[k - 1];
        Order& ctx = orders_[k - 2];
        auto& P = pos[k - 1];
        auto& C = ngrams.cnt[k - 1];
        const std::size_t n = P.size();
        const std::size_t n_ctx = k == 2 ? orders_[0].word.size() : pos[k - 2].size();
        ctx.child_begin.assign(n_ctx + 1, 0);
        std::size_t j = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (k == 2) {
                j = word_index_[s[P[i]]];
            } else {
                while (j < n_ctx && !text.equal(P[i], pos[k - 2][j], k - 1)) ++j;
                if (j == n_ctx) throw Error("ngram: internal error, an n-gram without context");
            }
            ++ctx.child_begin[j + 1];
        }
        for (std::size_t x = 1; x <= n_ctx; ++x) ctx.child_begin[x] += ctx.child_begin[x - 1];
        for (std::size_t x = 0; x < n_ctx; ++x) {
            std::uint32_t sum = 0;
            for (std::uint32_t i = ctx.child_begin[x]; i < ctx.child_begin[x + 1]; ++i) {
                sum += C[i];
                C[i] = sum;
            }
        }
        for (std::size_t i = 0; i < n; ++i) P[i] = word_index_[s[P[i] + k - 1]];
        o.word.swap(P);
        o.cum.swap(C);
    }
}

// Sets discounts_ from counts_of_counts_ (Chen & Goodman eq. 26; lmplz's StatCollector) and
// returns FitInfo's note: empty, or the orders that used the fallback discounts. Throws
// DataError for an order whose discounts cannot be estimated when the fallback is kError.
std::string NgramModel::estimate_discounts() {
    const int n_order = options_.order;
    discounts_.assign(n_order, {});
    std::string note;
    for (int k = 1; k <= n_order; ++k) {
        const auto& n = counts_of_counts_[k - 1];
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
                throw DataError(
                    msg.str() +
                    "; to use D1 D2 D3+ = 0.5 1 1.5 instead, set model.discount_fallback = true in "
                    "the study (madlab lm: --discount-fallback; lmplz: "
                    "--discount_fallback)");
            d = options_.fallback_discounts;
            if (!note.empty()) note += "; ";
            note += msg.str() + "; used the fallback discounts " + std::to_string(d[0]) + " " +
                    std::to_string(d[1]) + " " + std::to_string(d[2]);
        }
        discounts_[k - 1] = d;
    }
    return note;
}

// The unigram distribution (lmplz's interpolate with the uniform 1/(V - 1)): sets uniform_,
// root_gamma_, uni_prob_, uni_log10_, uni_cum_alpha_ and root_max_ from the unigram counts and
// discounts.
void NgramModel::interpolate_unigrams() {
    const Order& uni = orders_[0];
    const std::size_t v = uni.word.size();
    uniform_ = 1.0 / static_cast<double>(v - 1);
    const auto& d = discounts_[0];
    double denom = 0.0;
    std::array<double, 3> nk{};
    for (std::uint32_t c : uni.cum) {
        denom += c;
        if (c > 0) nk[std::min<std::uint32_t>(c, 3) - 1] += 1.0;
    }
    root_gamma_ = (d[0] * nk[0] + d[1] * nk[1] + d[2] * nk[2]) / denom;
    uni_prob_.assign(v, 0.0);
    uni_log10_.assign(v, 0.0);
    uni_cum_alpha_.assign(v, 0.0);
    double cum = 0.0;
    for (std::size_t i = 0; i < v; ++i) {
        const std::uint32_t c = uni.cum[i];
        const double alpha = (c - discount_of(d, c)) / denom;
        cum += alpha;
        uni_cum_alpha_[i] = cum;
        const double p = i == bos_entry_ ? 0.0 : alpha + root_gamma_ * uniform_;
        uni_prob_[i] = p;
        uni_log10_[i] = i == bos_entry_ ? 0.0 : std::min(0.0, std::log10(p));
    }
    root_max_ = *std::max_element(uni_prob_.begin(), uni_prob_.end());
}

// Sets gamma and the sampling bound M of every context of orders 1 .. order - 1 (lmplz's
// initial_probabilities; interpolated probabilities are computed when needed), lower orders
// first since M(c) needs M of c's suffix (ngrams.link).
void NgramModel::context_backoffs(const SortedNgrams& ngrams) {
    const int n_order = options_.order;
    const auto& link = ngrams.link;
    for (int k = 2; k <= n_order; ++k) {
        const Order& o = orders_[k - 1];
        Order& ctx = orders_[k - 2];
        const auto& d = discounts_[k - 1];
        const std::size_t n_ctx = ctx.child_begin.size() - 1;
        ctx.gamma.assign(n_ctx, 1.0);
        ctx.max_bound.assign(n_ctx, 1.0f);
        for (std::size_t j = 0; j < n_ctx; ++j) {
            const std::uint32_t b = ctx.child_begin[j], e = ctx.child_begin[j + 1];
            // M of the context's suffix c' (the empty context for a unigram context).
            const double suffix_bound = k == 2   ? root_max_
                                        : k == 3 ? orders_[0].max_bound[ctx.word[j]]
                                                 : orders_[k - 3].max_bound[link[k - 2][j]];
            if (b == e) {
                ctx.max_bound[j] = round_up(suffix_bound);
                continue;
            }
            const double denom = static_cast<double>(o.cum[e - 1]);
            std::array<double, 3> nk{};
            double max_alpha = 0.0;
            std::uint32_t before = 0;
            for (std::uint32_t i = b; i < e; ++i) {
                const std::uint32_t c = o.cum[i] - before;
                before = o.cum[i];
                nk[std::min<std::uint32_t>(c, 3) - 1] += 1.0;
                max_alpha = std::max(max_alpha, (c - discount_of(d, c)) / denom);
            }
            const double gamma = (d[0] * nk[0] + d[1] * nk[1] + d[2] * nk[2]) / denom;
            ctx.gamma[j] = gamma;
            ctx.max_bound[j] = round_up(std::min(1.0, max_alpha + gamma * suffix_bound));
        }
    }
}

bool NgramModel::known(TokenId word) const {
    return word < word_index_.size() && word_index_[word] != kNone;
}

TokenId NgramModel::canonical(TokenId id) const { return known(id) ? id : Vocabulary::kUnk; }

std::uint32_t NgramModel::word_index(TokenId id) const {
    return known(id) ? word_index_[id] : unk_entry_;
}

std::uint32_t NgramModel::child(int k, std::uint32_t ctx, std::uint32_t w) const {
    const Order& o = orders_[k - 1];
    const std::uint32_t b = o.child_begin[ctx], e = o.child_begin[ctx + 1];
    if (b == e) return kNone;
    const std::uint32_t* words = orders_[k].word.data();
    const std::uint32_t i = lower_bound_word(words, b, e, w);
    return i < e && words[i] == w ? i : kNone;
}

double NgramModel::alpha(int k, std::uint32_t i, std::uint32_t begin, std::uint32_t end) const {
    const std::vector<std::uint32_t>& cum = orders_[k - 1].cum;
    const std::uint32_t c = cum[i] - (i > begin ? cum[i - 1] : 0);
    return (c - discount_of(discounts_[k - 1], c)) / static_cast<double>(cum[end - 1]);
}

NgramModel::Contexts NgramModel::find_contexts(std::span<const TokenId> context) const {
    const std::size_t n_ctx = std::min<std::size_t>(options_.order - 1, context.size());
    std::array<std::uint32_t, 6> buf{};
    for (std::size_t i = 0; i < n_ctx; ++i)
        buf[i] = word_index(context[context.size() - n_ctx + i]);
    Contexts c;
    for (std::size_t len = 1; len <= n_ctx; ++len) {
        // The context of length len: its first word, then down the successors.
        std::uint32_t e = buf[n_ctx - len];
        for (std::size_t t = 1; t < len && e != kNone; ++t)
            e = child(static_cast<int>(t), e, buf[n_ctx - len + t]);
        if (e == kNone) break;
        c.entry[len - 1] = e;
        c.m = len;
    }
    return c;
}

double NgramModel::score(const Contexts& c, std::uint32_t w, Contexts* next) const {
    // The longest n-gram (context suffix, w) in the model: the suffixes of an n-gram are in
    // the model, so it is the first found from the longest context down. Its interpolated
    // probability was cached at fit time; then the backoffs of the longer contexts, summed from
    // the shorter up.
    std::size_t matched = c.m;
    std::uint32_t i = kNone;
    for (; matched >= 1; --matched) {
        i = child(static_cast<int>(matched), c.entry[matched - 1], w);
        if (i != kNone) break;
    }
    double lp = matched == 0 ? uni_log10_[w] : std::min(0.0, std::log10(orders_[matched].prob[i]));
    for (std::size_t len = matched + 1; len <= c.m; ++len)
        lp += orders_[len - 1].log10_gamma[c.entry[len - 1]];
    if (next != nullptr) {
        // The contexts after w: w, then (ctx_len w) for len = 1 .. matched, the n-gram found and
        // its suffixes (order len + 1 entries).
        const std::size_t keep = static_cast<std::size_t>(options_.order - 1);
        next->m = std::min(matched + 1, keep);
        if (next->m >= 1) next->entry[0] = w;
        for (std::size_t len = matched; len >= 1; --len) {
            if (len < next->m) next->entry[len] = i;
            if (len >= 2) i = orders_[len].suffix[i];
        }
    }
    return lp;
}

double NgramModel::log10_prob(std::span<const TokenId> context, TokenId word) const {
    if (!fitted_) throw Error("ngram: log10_prob() before fit()");
    return score(find_contexts(context), word_index(word), nullptr);
}

double NgramModel::sentence_log10(std::span<const TokenId> line) const {
    if (!fitted_) throw Error("ngram: sentence_log10() before fit()");
    const TokenId bos = Vocabulary::kBos;
    Contexts c = find_contexts(std::span<const TokenId>(&bos, 1)), next;
    double total = 0.0;
    for (TokenId w : line) {
        total += score(c, word_index(w), &next);
        c = next;
    }
    return total + score(c, eos_entry_, nullptr);
}

// Lines are scored kLanes at a time, interleaved token by token, so that the lookups of
// independent lines overlap their cache misses (each lane prefetches the successor range of
// its next context); the terms are stored and then summed in text order, so the sums are
// those of scoring one line after another, bit for bit.
NgramModel::Perplexity NgramModel::perplexity(const Corpus& text) const {
    if (!fitted_) throw Error("ngram: perplexity() before fit()");
    constexpr std::size_t kLanes = 8;
    constexpr std::size_t kBlockTokens = 1 << 16;  // terms stored at a time
    Perplexity r;
    double oov_sum = 0.0;
    const TokenId bos = Vocabulary::kBos;
    const Contexts start = find_contexts(std::span<const TokenId>(&bos, 1));
    struct Lane {
        std::size_t line = 0, pos = 0, out = 0;  // line, next token (size = </s>), term slot
        Contexts c;
    };
    const auto prefetch = [&](const Contexts& c) {
        if (c.m > 0) __builtin_prefetch(&orders_[c.m - 1].child_begin[c.entry[c.m - 1]]);
    };
    std::vector<double> terms;
    for (std::size_t first = 0; first < text.lines();) {
        // A block of lines holding about kBlockTokens terms (at least one line).
        std::size_t last = first, n_terms = 0;
        while (last < text.lines() && (last == first || n_terms < kBlockTokens))
            n_terms += text.line(last++).size() + 1;
        terms.resize(n_terms);
        std::array<Lane, kLanes> lanes;
        std::size_t active = 0, next_line = first, next_out = 0;
        const auto start_line = [&](Lane& lane) {
            lane.line = next_line++;
            lane.pos = 0;
            lane.out = next_out;
            next_out += text.line(lane.line).size() + 1;
            lane.c = start;
        };
        while (active < kLanes && next_line < last) start_line(lanes[active++]);
        while (active > 0) {
            for (std::size_t k = 0; k < active;) {
                Lane& lane = lanes[k];
                const auto line = text.line(lane.line);
                if (lane.pos < line.size()) {
                    Contexts next;
                    terms[lane.out + lane.pos] = score(lane.c, word_index(line[lane.pos]), &next);
                    lane.c = next;
                    prefetch(lane.c);
                    ++lane.pos;
                    ++k;
                    continue;
                }
                terms[lane.out + lane.pos] = score(lane.c, eos_entry_, nullptr);
                if (next_line < last) {
                    start_line(lane);
                    ++k;
                } else {
                    lane = lanes[--active];  // k now holds another lane
                }
            }
        }
        // The sums in text order.
        std::size_t t = 0;
        for (std::size_t l = first; l < last; ++l) {
            const auto line = text.line(l);
            for (TokenId w : line) {
                const double lp = terms[t++];
                r.log10_sum += lp;
                if (!known(w) || w == Vocabulary::kUnk) {
                    ++r.oov;
                    oov_sum += lp;
                }
            }
            r.log10_sum += terms[t++];
            r.tokens += line.size() + 1;
        }
        first = last;
    }
    if (r.tokens == 0) throw DataError("ngram: perplexity of a text with no lines");
    r.perplexity = std::pow(10.0, -r.log10_sum / static_cast<double>(r.tokens));
    r.perplexity_excluding_oov =
        r.tokens > r.oov
            ? std::pow(10.0, -(r.log10_sum - oov_sum) / static_cast<double>(r.tokens - r.oov))
            : 0.0;
    return r;
}

// Sets prob (orders >= 2), suffix (orders >= 3) and log10_gamma (orders < N), lower orders
// first: p(c w) = alpha(c w) + gamma(c) p(c' w), the suffix (c' w) being a successor of c' (the
// suffix entry of c, one order below) found by a merge walk, since the successors of c and of c'
// are both sorted by word. These are the double operations of lmplz's interpolation and of the
// query walk that score() did before the cache (bit for bit the same values).
void NgramModel::interpolate_levels() {
    const int n_order = options_.order;
    for (int k = 1; k < n_order; ++k) {
        Order& ctx = orders_[k - 1];
        ctx.log10_gamma.resize(ctx.gamma.size());
        for (std::size_t j = 0; j < ctx.gamma.size(); ++j)
            ctx.log10_gamma[j] = std::log10(ctx.gamma[j]);
    }
    for (int k = 2; k <= n_order; ++k) {
        Order& o = orders_[k - 1];
        const Order& ctx = orders_[k - 2];
        const std::vector<double>& below = k == 2 ? uni_prob_ : ctx.prob;
        o.prob.assign(o.word.size(), 0.0);
        if (k >= 3) o.suffix.assign(o.word.size(), kNone);
        const std::size_t n_ctx = ctx.child_begin.size() - 1;
        for (std::size_t j = 0; j < n_ctx; ++j) {
            const std::uint32_t b = ctx.child_begin[j], e = ctx.child_begin[j + 1];
            if (b == e) continue;
            const double gamma = ctx.gamma[j];
            std::uint32_t t = 0, t_end = 0;
            const std::uint32_t* below_words = nullptr;
            if (k > 2) {
                // The suffix c' of c: for k = 3 the unigram entry of c's last word.
                const std::uint32_t cs = k == 3 ? ctx.word[j] : ctx.suffix[j];
                t = orders_[k - 3].child_begin[cs];
                t_end = orders_[k - 3].child_begin[cs + 1];
                below_words = ctx.word.data();
            }
            for (std::uint32_t i = b; i < e; ++i) {
                const std::uint32_t w = o.word[i];
                // c' can have many more successors than c: a binary search from the last one.
                if (k > 2) t = lower_bound_word(below_words, t, t_end, w);
                const std::uint32_t s = k > 2 ? t : w;
                o.prob[i] = alpha(k, i, b, e) + gamma * below[s];
                if (k > 2) o.suffix[i] = s;
            }
        }
    }
}

void NgramModel::write_arpa(std::ostream& out,
                            const std::function<std::string(TokenId)>& word_of) const {
    if (!fitted_) throw Error("ngram: write_arpa() before fit()");
    const int n_order = options_.order;
    out << "\\data\\\n";
    for (int k = 1; k <= n_order; ++k) out << "ngram " << k << "=" << ngram_count(k) << "\n";
    std::vector<std::string> spelling(orders_[0].word.size());
    for (std::size_t i = 0; i < spelling.size(); ++i) spelling[i] = word_of(orders_[0].word[i]);
    std::string line;
    std::array<std::uint32_t, 6> key{};
    for (int k = 1; k <= n_order; ++k) {
        const std::vector<double>& prob = orders_[k - 1].prob;
        out << "\n\\" << k << "-grams:\n";
        // Entries of order k in order: a walk down the successors (lexicographic order).
        const auto emit = [&](auto& self, int level, std::uint32_t entry) -> void {
            key[level - 1] = level == 1 ? entry : orders_[level - 1].word[entry];
            if (level < k) {
                const Order& o = orders_[level - 1];
                for (std::uint32_t i = o.child_begin[entry]; i < o.child_begin[entry + 1]; ++i)
                    self(self, level + 1, i);
                return;
            }
            line.clear();
            append_number(line,
                          k == 1 ? uni_log10_[entry] : std::min(0.0, std::log10(prob[entry])));
            for (int j = 0; j < k; ++j) {
                line += j == 0 ? '\t' : ' ';
                line += spelling[key[j]];
            }
            if (k < n_order) {
                line += '\t';
                append_number(line, std::log10(orders_[k - 1].gamma[entry]));
            }
            line += '\n';
            out << line;
        };
        for (std::uint32_t e = 0; e < orders_[0].word.size(); ++e) emit(emit, 1, e);
    }
    out << "\n\\end\\\n";
}

std::uint32_t NgramModel::draw_fast(const Contexts& c, Rng& rng) const {
    for (std::size_t len = c.m; len >= 1; --len) {
        const Order& ctx = orders_[len - 1];
        const std::uint32_t j = c.entry[len - 1];
        const std::uint32_t b = ctx.child_begin[j], e = ctx.child_begin[j + 1];
        if (b == e) continue;
        // With probability sum_s alpha(c s) = 1 - gamma(c): an explicit successor s, drawn with
        // probability proportional to a(c s) - D(a(c s)): propose s proportionally to its
        // count a (integers: exact), accept with probability (a - D(a)) / a.
        if (rng.uniform() < 1.0 - ctx.gamma[j]) {
            const Order& ch = orders_[len];
            const auto& d = discounts_[len];
            const std::uint32_t* cum = ch.cum.data();
            for (;;) {
                const std::uint64_t r = rng.uniform_int(cum[e - 1]);
                const std::uint32_t i =
                    static_cast<std::uint32_t>(std::upper_bound(cum + b, cum + e, r) - cum);
                const std::uint32_t a = cum[i] - (i > b ? cum[i - 1] : 0);
                if (rng.uniform() * a < a - discount_of(d, a)) return ch.word[i];
            }
        }
    }
    const double u = rng.uniform();
    if (u < uni_cum_alpha_.back()) {
        const auto it = std::upper_bound(uni_cum_alpha_.begin(), uni_cum_alpha_.end(), u);
        return static_cast<std::uint32_t>(it - uni_cum_alpha_.begin());
    }
    std::uint64_t r = rng.uniform_int(orders_[0].word.size() - 1);
    if (r >= bos_entry_) ++r;
    return static_cast<std::uint32_t>(r);
}

std::uint32_t NgramModel::draw_tempered(const Contexts& c, double temperature, Rng& rng,
                                        std::vector<double>& work,
                                        std::vector<std::uint32_t>& order_work) const {
    constexpr int kMaxTrials = 256;
    const double bound = c.m == 0 ? root_max_ : orders_[c.m - 1].max_bound[c.entry[c.m - 1]];
    const double log10_bound = std::log10(bound);
    const double exponent = 1.0 / temperature - 1.0;
    for (int trial = 0; trial < kMaxTrials; ++trial) {
        const std::uint32_t w = draw_fast(c, rng);
        // Accept with probability (p / M)^exponent, compared in log10.
        const double log10_accept = exponent * (score(c, w, nullptr) - log10_bound);
        if (std::log10(rng.uniform()) < log10_accept) return w;
    }
    // Exact as well: the target distribution does not depend on the trials rejected before.
    return draw_dense(c, temperature, 0, 1.0, rng, work, order_work);
}

std::uint32_t NgramModel::draw_dense(const Contexts& c, double temperature, int top_k, double top_p,
                                     Rng& rng, std::vector<double>& p,
                                     std::vector<std::uint32_t>& idx) const {
    // The exact distribution over the unigram entries: p_0 = unigram probabilities, then
    // p_len = alpha(ctx_len w) + gamma(ctx_len) p_{len-1} for the contexts that have successors.
    p = uni_prob_;
    for (std::size_t len = 1; len <= c.m; ++len) {
        const Order& ctx = orders_[len - 1];
        const std::uint32_t j = c.entry[len - 1];
        const std::uint32_t b = ctx.child_begin[j], e = ctx.child_begin[j + 1];
        if (b == e) continue;
        const double gamma = ctx.gamma[j];
        for (double& x : p) x *= gamma;
        const Order& ch = orders_[len];
        for (std::uint32_t i = b; i < e; ++i)
            p[ch.word[i]] += alpha(static_cast<int>(len) + 1, i, b, e);
    }
    if (temperature != 1.0) {
        double max_log = -HUGE_VAL;
        for (double& x : p) {
            x = x > 0.0 ? std::log(x) / temperature : -HUGE_VAL;
            max_log = std::max(max_log, x);
        }
        for (double& x : p) x = std::exp(x - max_log);
    }
    return draw_truncated(p, top_k, top_p, rng, idx);
}

std::uint32_t draw_truncated(std::vector<double>& p, int top_k, double top_p, Rng& rng,
                             std::vector<std::uint32_t>& idx) {
    const std::size_t v = p.size();
    const auto positive = static_cast<std::size_t>(
        std::count_if(p.begin(), p.end(), [](double x) { return x > 0.0; }));
    // Most probable first, ties by index: a total order, so the kept set is unique.
    const auto by_prob = [&](std::uint32_t a, std::uint32_t b) {
        return p[a] > p[b] || (p[a] == p[b] && a < b);
    };
    if (top_k > 0 && static_cast<std::size_t>(top_k) < positive) {
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
        // The kept words are a prefix of the sorted order: sort a growing prefix only.
        std::size_t keep = 0;
        for (std::size_t sorted = std::min<std::size_t>(64, idx.size());;
             sorted = std::min(4 * sorted, idx.size())) {
            std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(sorted),
                              idx.end(), by_prob);
            double cum = 0.0;
            keep = 0;
            while (keep < sorted && cum < top_p * total) cum += p[idx[keep++]];
            if (cum >= top_p * total || sorted == idx.size()) break;
        }
        for (std::size_t r = keep; r < idx.size(); ++r) p[idx[r]] = 0.0;
    }
    const double total = std::accumulate(p.begin(), p.end(), 0.0);
    double u = rng.uniform() * total;
    std::size_t last = 0;
    for (std::size_t i = 0; i < v; ++i) {
        if (p[i] <= 0.0) continue;
        last = i;
        u -= p[i];
        if (u < 0.0) return static_cast<std::uint32_t>(i);
    }
    return static_cast<std::uint32_t>(last);  // rounding: u ended at the total
}

// The nucleus of a context: the words ranked (p(w | c) descending, entry ascending) up to and
// including the word `entry` of probability `value`; `size` words.
struct NgramModel::NucleusCut {
    double value = 0.0;
    std::uint32_t entry = 0;
    std::size_t size = 0;
};

// Scratch of draw_top for one sample() call.
struct NgramModel::TopState {
    // The nucleus cut of the contexts met so far, by (length << 32 | entry of the longest).
    std::unordered_map<std::uint64_t, NucleusCut> cuts;
    std::vector<std::pair<double, std::uint32_t>> cand;  // (tempered weight q, unigram entry)
    std::vector<double> terms;
    std::vector<double> work;  // draw_dense's scratch
    std::vector<std::uint32_t> index;
    // log Z (sum of p^(1/temperature) over the vocabulary) of the empty context and of the
    // contexts met so far, by (length << 32 | entry): top_p < 1 without top_k, temperature != 1.
    double log_z0 = std::numeric_limits<double>::quiet_NaN();
    std::unordered_map<std::uint64_t, double> log_z;
};

namespace {

// Sorts `idx` by value[idx] (descending), then by idx, and writes the inclusive prefix sums of
// the values in that order to `pre`.
void sort_with_sums(std::uint32_t* idx, std::size_t n, const double* value, double* pre) {
    std::sort(idx, idx + n, [&](std::uint32_t a, std::uint32_t b) {
        return value[a] > value[b] || (value[a] == value[b] && a < b);
    });
    double sum = 0.0;
    for (std::size_t j = 0; j < n; ++j) pre[j] = sum += value[idx[j]];
}

}  // namespace

const NgramModel::TopCache& NgramModel::top_cache() const {
    TopCache& cache = *top_cache_;
    std::call_once(cache.once, [&] {
        const std::size_t v = orders_[0].word.size();
        for (std::uint32_t i = 0; i < v; ++i)
            if (i != bos_entry_) cache.uni_order.push_back(i);
        cache.uni_pre.resize(cache.uni_order.size());
        sort_with_sums(cache.uni_order.data(), cache.uni_order.size(), uni_prob_.data(),
                       cache.uni_pre.data());
        for (std::uint32_t i : cache.uni_order) cache.uni_sorted.push_back(uni_prob_[i]);
        const int n_order = options_.order;
        cache.perm.assign(n_order, {});
        cache.pre.assign(n_order, {});
        cache.xperm.assign(n_order, {});
        cache.xpre.assign(n_order, {});
        for (int k = 2; k <= n_order; ++k) {
            const Order& o = orders_[k - 1];
            const Order& ctx = orders_[k - 2];
            const std::size_t n = o.word.size();
            auto& perm = cache.perm[k - 1];
            auto& xperm = cache.xperm[k - 1];
            perm.resize(n);
            std::iota(perm.begin(), perm.end(), 0u);
            xperm = k == 2 ? o.word : o.suffix;
            cache.pre[k - 1].resize(n);
            cache.xpre[k - 1].resize(n);
            const double* below = k == 2 ? uni_prob_.data() : ctx.prob.data();
            for (std::size_t j = 0; j + 1 < ctx.child_begin.size(); ++j) {
                const std::uint32_t b = ctx.child_begin[j], e = ctx.child_begin[j + 1];
                sort_with_sums(perm.data() + b, e - b, o.prob.data(), cache.pre[k - 1].data() + b);
                sort_with_sums(xperm.data() + b, e - b, below, cache.xpre[k - 1].data() + b);
            }
        }
    });
    return cache;
}

// The vocabulary in order of decreasing p(w | c) (weakly: ties in any order), for draw_top,
// without scanning it. P_l(w) is the distribution given the contexts of length 1..l of c (P_0:
// the unigrams), computed as draw_dense does: P_l = alpha(ctx_l w) + gamma(ctx_l) P_{l-1} where
// ctx_l has successors, P_l = P_{l-1} where it has none. Level 0 walks the unigrams by
// probability; level l merges the successors of ctx_l (in the order of P_l, precomputed per
// context) with the words of level l - 1 that are not successors of ctx_l, whose
// P_l = gamma P_{l-1} keeps their order.
class NgramModel::TopStream {
public:
    TopStream(const NgramModel& model, const TopCache& cache, const Contexts& c)
        : model_(model), cache_(cache), c_(c) {
        for (std::size_t l = 1; l <= c.m; ++l) {
            const Order& ctx = model.orders_[l - 1];
            const std::uint32_t j = c.entry[l - 1];
            Level& L = lv_[l];
            L.b = ctx.child_begin[j];
            L.e = ctx.child_begin[j + 1];
            L.next_a = L.b;
            L.pass = L.b == L.e;
            L.gamma = ctx.gamma[j];
        }
    }

    // The next word w and its probability p(w | c) = P_m(w); false once every word was given.
    bool next(double& value, std::uint32_t& w) { return pull(c_.m, value, w); }

    // log Z, Z = sum over the vocabulary of p(w | c)^(1/temperature), by the recursion
    // Z_l = sum_{s in succ(ctx_l)} P_l(s)^(1/t) + gamma^(1/t) (Z_{l-1} -
    // sum_{s in succ(ctx_l)} P_{l-1}(s)^(1/t)), in logs, cached per context in `st`.
    double log_total_weight(double temperature, TopState& st) const {
        return log_z(c_.m, temperature, st);
    }

private:
    struct Level {
        std::uint32_t b = 0, e = 0, next_a = 0;
        double gamma = 1.0;
        bool pass = true;  // ctx_l has no successors
        bool loaded_a = false, loaded_b = false, has_a = false, has_b = false;
        double va = 0.0, vb = 0.0;
        std::uint32_t wa = 0, wb = 0;
    };

    // P_l(w) for a word that is a successor of ctx_1..ctx_l (entry i of order l + 1 if known).
    double chain(std::size_t l, std::uint32_t w, std::uint32_t i) const {
        double x = model_.uni_prob_[w];
        for (std::size_t t = 1; t <= l; ++t) {
            const Level& L = lv_[t];
            const std::uint32_t it =
                t == l && i != kNone ? i : model_.child(static_cast<int>(t), c_.entry[t - 1], w);
            x = model_.alpha(static_cast<int>(t) + 1, it, L.b, L.e) + L.gamma * x;
        }
        return x;
    }

    // The next word of level l and its P_l; false once level l has given every word.
    bool pull(std::size_t l, double& value, std::uint32_t& w) {
        if (l == 0) {
            if (next0_ == cache_.uni_order.size()) return false;
            w = cache_.uni_order[next0_++];
            value = model_.uni_prob_[w];
            return true;
        }
        Level& L = lv_[l];
        if (L.pass) return pull(l - 1, value, w);
        if (!L.loaded_a) {
            L.loaded_a = true;
            L.has_a = L.next_a < L.e;
            if (L.has_a) {
                const std::uint32_t i = cache_.perm[l][L.next_a++];
                L.wa = model_.orders_[l].word[i];
                L.va = chain(l, L.wa, i);
            }
        }
        if (!L.loaded_b) {
            L.loaded_b = true;
            L.has_b = false;
            double v = 0.0;
            std::uint32_t x = 0;
            while (pull(l - 1, v, x))
                if (model_.child(static_cast<int>(l), c_.entry[l - 1], x) == kNone) {
                    L.has_b = true;
                    L.vb = L.gamma * v;
                    L.wb = x;
                    break;
                }
        }
        if (!L.has_a && !L.has_b) return false;
        if (L.has_a && (!L.has_b || L.va >= L.vb)) {
            value = L.va;
            w = L.wa;
            L.loaded_a = false;
        } else {
            value = L.vb;
            w = L.wb;
            L.loaded_b = false;
        }
        return true;
    }

    // log Z_l (see log_total_weight).
    double log_z(std::size_t l, double temperature, TopState& st) const {
        if (l == 0) {
            if (std::isnan(st.log_z0)) {
                st.terms.clear();
                for (std::uint32_t w : cache_.uni_order)
                    st.terms.push_back(std::log(model_.uni_prob_[w]) / temperature);
                st.log_z0 = log_sum_exp(st.terms);
            }
            return st.log_z0;
        }
        const Level& L = lv_[l];
        if (L.pass) return log_z(l - 1, temperature, st);
        const std::uint64_t key = (static_cast<std::uint64_t>(l) << 32) | c_.entry[l - 1];
        const auto it = st.log_z.find(key);
        if (it != st.log_z.end()) return it->second;
        const double lower = log_z(l - 1, temperature, st);
        st.terms.clear();
        std::vector<double> below;
        for (std::uint32_t i = L.b; i < L.e; ++i) {
            const std::uint32_t w = model_.orders_[l].word[i];
            const double prev = chain(l - 1, w, kNone);
            st.terms.push_back(
                std::log(model_.alpha(static_cast<int>(l) + 1, i, L.b, L.e) + L.gamma * prev) /
                temperature);
            below.push_back(std::log(prev) / temperature);
        }
        const double lse_a = log_sum_exp(st.terms), lse_b = log_sum_exp(below);
        const double log_g = std::log(L.gamma) / temperature;
        const double r = std::max(lse_a, log_g + lower);
        const double val =
            std::max(std::exp(lse_a - r), std::exp(lse_a - r) + std::exp(log_g + lower - r) -
                                              std::exp(log_g + lse_b - r));
        const double result = r + std::log(val);
        st.log_z.emplace(key, result);
        return result;
    }

    const NgramModel& model_;
    const TopCache& cache_;
    const Contexts& c_;
    std::array<Level, 7> lv_{};
    std::size_t next0_ = 0;  // level 0's position in cache_.uni_order
};

namespace {

// A word drawn by the top-k / top-p sampler: (tempered weight q, unigram entry).
using Candidate = std::pair<double, std::uint32_t>;

// Heavier first, ties by entry: a total order, so the kept set is unique.
bool heavier(const Candidate& a, const Candidate& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
}

bool by_entry(const Candidate& a, const Candidate& b) { return a.second < b.second; }

// The weights of the top-k / top-p sampler: p^(1/temperature) relative to the most probable
// word's p_max^(1/temperature), computed in logs; p itself at temperature 1.
struct TemperedWeight {
    TemperedWeight(double t, double p_max)
        : temperature(t),
          tempered(t != 1.0),
          max_log(tempered ? std::log(p_max) / temperature : 0.0) {}
    double operator()(double p) const {
        return tempered ? std::exp(std::log(p) / temperature - max_log) : p;
    }
    double temperature;
    bool tempered;
    double max_log;  // log(p_max) / temperature, 0 at temperature 1
};

// Relative margin of the candidate search over the rounding of the weights.
constexpr double kTopMargin = 1e-9;

// Fills `cand` with the words next() gives after the first (p0, w0), in stream order, until the
// top_k most probable / a mass of top_p * z are in, then every word tied (within rounding) with
// the last one: a superset of the dense path's kept set. Returns false, with `cand` unfinished,
// when top_k is 0 and more than max_candidates words would be needed.
template <class Next>
bool collect_candidates(Next&& next, double p0, std::uint32_t w0, const TemperedWeight& weight,
                        int top_k, double top_p, double z, std::size_t max_candidates,
                        std::vector<Candidate>& cand) {
    const double target = top_p * z * (1.0 + kTopMargin);
    cand.clear();
    double cum = 0.0, q_min = HUGE_VAL;
    const auto satisfied = [&] {
        return top_k > 0 ? cand.size() >= static_cast<std::size_t>(top_k) : cum >= target;
    };
    const auto add = [&](double q, std::uint32_t w) {
        cand.emplace_back(q, w);
        cum += q;
        q_min = std::min(q_min, q);
    };
    add(weight(p0), w0);
    double v = 0.0;
    std::uint32_t w = 0;
    while (next(v, w)) {
        const double q = weight(v);
        if (q == 0.0) break;  // underflow: these words have weight 0 in draw_dense as well
        if (satisfied() && q < q_min * (1.0 - kTopMargin)) break;
        if (top_k == 0 && cand.size() >= max_candidates) return false;
        add(q, w);
    }
    return true;
}

// Cuts `cand` to the set draw_dense keeps: the top_k heaviest, then the smallest prefix whose
// weight reaches top_p times the total (z without top_k; with top_k the kept weights summed in
// entry order, as draw_dense sums them). Leaves `cand` sorted heavier first.
void truncate_candidates(std::vector<Candidate>& cand, int top_k, double top_p, double z) {
    std::sort(cand.begin(), cand.end(), heavier);
    if (top_k > 0 && cand.size() > static_cast<std::size_t>(top_k)) cand.resize(top_k);
    if (top_p < 1.0) {
        double total = z;
        if (top_k > 0) {
            std::sort(cand.begin(), cand.end(), by_entry);
            total = 0.0;
            for (const auto& x : cand) total += x.first;
            std::sort(cand.begin(), cand.end(), heavier);
        }
        double sum = 0.0;
        std::size_t keep = 0;
        while (keep < cand.size() && sum < top_p * total) sum += cand[keep++].first;
        cand.resize(keep);
    }
}

// The entry of one candidate drawn with probability proportional to its weight, from one
// uniform, summing and subtracting in entry order as draw_dense does; sorts `cand` by entry.
std::uint32_t draw_candidate(std::vector<Candidate>& cand, Rng& rng) {
    std::sort(cand.begin(), cand.end(), by_entry);
    double total = 0.0;
    for (const auto& x : cand) total += x.first;
    double u = rng.uniform() * total;
    for (const auto& x : cand) {
        u -= x.first;
        if (u < 0.0) return x.second;
    }
    return cand.back().second;  // rounding: u ended at the total
}

}  // namespace

namespace {

// One list of the nucleus search: position j holds entry idx[j], of probability value[idx[j]]
// (sorted[j] if sorted is not null) and word (unigram entry) word[idx[j]] (idx[j] itself when
// word is null), sorted by value (descending), then by entry; pre holds the inclusive prefix
// sums of the values.
struct NucleusList {
    const std::uint32_t* idx = nullptr;
    std::uint32_t n = 0;
    const double* value = nullptr;
    const std::uint32_t* word = nullptr;
    const double* pre = nullptr;
    const double* sorted = nullptr;
    double y(std::uint32_t j) const { return sorted != nullptr ? sorted[j] : value[idx[j]]; }
    std::uint32_t w(std::uint32_t j) const { return word == nullptr ? idx[j] : word[idx[j]]; }
    double sum(std::uint32_t k) const { return k == 0 ? 0.0 : pre[k - 1]; }
};

// The words of one level of a context: those of `plus` that are not in `minus` (the successors
// of the next longer context); their probability given the whole context is their value in the
// list multiplied by the gammas of the longer contexts in turn, as draw_dense computes it.
struct NucleusSource {
    NucleusList plus, minus;
    std::array<double, 6> gammas{};
    int n_gammas = 0;
    double scale = 1.0;  // the product of the gammas
    double value(double y) const {
        for (int t = 0; t < n_gammas; ++t) y *= gammas[t];
        return y;
    }
    // The number of leading positions of `l` whose probability is > tau (or >= tau).
    std::uint32_t count_above(const NucleusList& l, double tau, bool or_equal = false) const {
        const auto in = [&](std::uint32_t j) {
            const double v = value(l.y(j));
            return v > tau || (or_equal && v == tau);
        };
        // Most probes lie wholly above or below a short list: two checks instead of a search.
        if (l.n == 0 || !in(0)) return 0;
        if (in(l.n - 1)) return l.n;
        std::uint32_t lo = 1, hi = l.n - 1;
        while (lo < hi) {
            const std::uint32_t mid = lo + (hi - lo) / 2;
            if (in(mid))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
    // The mass and the number of the source's words of probability > tau.
    std::pair<double, std::size_t> above(double tau) const {
        const std::uint32_t a = count_above(plus, tau), b = count_above(minus, tau);
        return {scale * (plus.sum(a) - minus.sum(b)), a - b};
    }
};

// A run of equal values within a list, whose entries are therefore ascending; sign -1 for the
// runs of a `minus` list.
struct TieRun {
    const NucleusList* list;
    std::uint32_t b, e;
    int sign;
    // Number of the run's words with entry <= w.
    std::uint32_t count_le(std::uint32_t w) const {
        std::uint32_t lo = b, hi = e;
        while (lo < hi) {
            const std::uint32_t mid = lo + (hi - lo) / 2;
            if (list->w(mid) <= w)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo - b;
    }
};

}  // namespace

// The exact nucleus without enumerating it. The words of context c split into sources: level
// l = 0..m (m: the longest context with successors; the successor sets are nested, ctx_{l+1}'s
// within ctx_l's, since the suffix of an n-gram is an n-gram) holds the successors of ctx_l
// (level 0: the vocabulary) that are not successors of ctx_{l+1}, with p(w | c) = P_l(w) times
// gamma_{l+1} .. gamma_m: monotone in P_l, so each source is a list sorted by P_l minus another
// (TopCache's perm / xperm with prefix sums), and the mass of the words of p(w | c) > tau is a
// binary search per list. The cut value p* is the smallest probability with mass(> p*) <
// top_p: found by binary searches over each source's positions (each probe is a word's exact
// probability; the bracket (lo, hi] narrows across sources). Then the words tied at p* are
// taken by entry (the tie rule) until the mass reaches top_p: the k-th smallest entry among
// the tied runs, by a binary search over entries. The model's total mass is taken as 1, as
// draw_top does; the sums are in another order than draw_dense's, so the cut can differ from
// draw_dense's only where the cumulative mass is within rounding (1e-15) of top_p.
NgramModel::NucleusCut NgramModel::nucleus_cut(const Contexts& c, double top_p) const {
    const TopCache& cache = top_cache();
    std::size_t m = 0;
    std::array<double, 7> gamma{};
    std::array<std::uint32_t, 7> b{}, e{};
    for (std::size_t l = 1; l <= c.m; ++l) {
        const Order& ctx = orders_[l - 1];
        const std::uint32_t j = c.entry[l - 1];
        if (ctx.child_begin[j] == ctx.child_begin[j + 1]) break;
        b[l] = ctx.child_begin[j];
        e[l] = ctx.child_begin[j + 1];
        gamma[l] = ctx.gamma[j];
        m = l;
    }
    std::array<NucleusSource, 7> src{};
    for (std::size_t l = 0; l <= m; ++l) {
        NucleusSource& s = src[l];
        if (l == 0)
            s.plus = {cache.uni_order.data(), static_cast<std::uint32_t>(cache.uni_order.size()),
                      uni_prob_.data(),       nullptr,
                      cache.uni_pre.data(),   cache.uni_sorted.data()};
        else
            s.plus = {cache.perm[l].data() + b[l], e[l] - b[l], orders_[l].prob.data(),
                      orders_[l].word.data(), cache.pre[l].data() + b[l]};
        if (l < m)
            s.minus = {cache.xperm[l + 1].data() + b[l + 1], e[l + 1] - b[l + 1],
                       l == 0 ? uni_prob_.data() : orders_[l].prob.data(),
                       l == 0 ? nullptr : orders_[l].word.data(),
                       cache.xpre[l + 1].data() + b[l + 1]};
        for (std::size_t t = l + 1; t <= m; ++t) {
            s.gammas[s.n_gammas++] = gamma[t];
            s.scale *= gamma[t];
        }
    }
    const auto above = [&](double tau) {
        std::pair<double, std::size_t> r{0.0, 0};
        for (std::size_t l = 0; l <= m; ++l) {
            const auto [mass, n] = src[l].above(tau);
            r.first += mass;
            r.second += n;
        }
        return r;
    };
    // mass(> hi) < top_p <= mass(> lo); every probe is some word's probability.
    double hi = HUGE_VAL, lo = -1.0;
    for (std::size_t l = m + 1; l-- > 0;) {
        const NucleusSource& s = src[l];
        std::uint32_t jb = s.count_above(s.plus, hi, true), je = s.count_above(s.plus, lo);
        while (jb < je) {
            const std::uint32_t mid = jb + (je - jb) / 2;
            const double tau = s.value(s.plus.y(mid));
            if (above(tau).first < top_p) {
                hi = tau;
                jb = mid + 1;
            } else {
                lo = tau;
                je = mid;
            }
        }
    }
    if (hi == HUGE_VAL) throw Error("ngram: internal error, no nucleus");
    // The words tied at hi, in runs of equal P_l (entries ascending in each).
    std::vector<TieRun> runs;
    for (std::size_t l = 0; l <= m; ++l) {
        const NucleusSource& s = src[l];
        for (const NucleusList* list : {&s.plus, &s.minus}) {
            const std::uint32_t rb = s.count_above(*list, hi), re = s.count_above(*list, hi, true);
            for (std::uint32_t x = rb; x < re;) {
                std::uint32_t y = x + 1;
                while (y < re && list->y(y) == list->y(x)) ++y;
                runs.push_back({list, x, y, list == &s.plus ? 1 : -1});
                x = y;
            }
        }
    }
    const auto count_le = [&](std::uint32_t w) {
        std::int64_t n = 0;
        for (const TieRun& r : runs) n += r.sign * static_cast<std::int64_t>(r.count_le(w));
        return n;
    };
    const auto [mass_above, n_above] = above(hi);
    const std::int64_t n_ties = count_le(kNone - 1);
    if (n_ties < 1) throw Error("ngram: internal error, no word at the nucleus cut");
    const double need = std::ceil((top_p - mass_above) / hi);
    const std::int64_t k =
        std::clamp<std::int64_t>(need > 1e18 ? n_ties : static_cast<std::int64_t>(need), 1, n_ties);
    // The smallest entry w with count_le(w) >= k.
    std::uint32_t wlo = 0, whi = static_cast<std::uint32_t>(orders_[0].word.size()) - 1;
    while (wlo < whi) {
        const std::uint32_t mid = wlo + (whi - wlo) / 2;
        if (count_le(mid) >= k)
            whi = mid;
        else
            wlo = mid + 1;
    }
    NucleusCut cut;
    cut.value = hi;
    cut.entry = wlo;
    cut.size = n_above + static_cast<std::size_t>(k);
    return cut;
}

double NgramModel::dense_value(const Contexts& c, std::uint32_t w) const {
    // The longest context with w as a successor gives P_l(w) (cached), then the gammas of the
    // longer contexts that have successors.
    std::size_t l = c.m;
    std::uint32_t i = kNone;
    for (; l >= 1; --l) {
        i = child(static_cast<int>(l), c.entry[l - 1], w);
        if (i != kNone) break;
    }
    double x = l == 0 ? uni_prob_[w] : orders_[l].prob[i];
    for (std::size_t t = l + 1; t <= c.m; ++t) {
        const Order& ctx = orders_[t - 1];
        const std::uint32_t j = c.entry[t - 1];
        if (ctx.child_begin[j] != ctx.child_begin[j + 1]) x *= ctx.gamma[j];
    }
    return x;
}

// Rejection sampling (von Neumann 1951): propose w from p(. | c) with draw_fast and accept it
// if it is in the nucleus N; the accepted word has probability p(w | c) / p(N), the dense
// path's. p(N) >= top_p, so about 1 / top_p proposals a token. A one-word nucleus is returned
// without a draw; after 256 rejections in a row, the dense path draws the token (exact as well).
std::uint32_t NgramModel::draw_nucleus(const Contexts& c, double top_p, Rng& rng,
                                       TopState& st) const {
    constexpr int kMaxTrials = 256;
    const std::uint64_t key =
        c.m == 0 ? 0 : (static_cast<std::uint64_t>(c.m) << 32) | c.entry[c.m - 1];
    auto it = st.cuts.find(key);
    if (it == st.cuts.end()) it = st.cuts.emplace(key, nucleus_cut(c, top_p)).first;
    const NucleusCut cut = it->second;
    if (cut.size == 1) return cut.entry;
    for (int trial = 0; trial < kMaxTrials; ++trial) {
        const std::uint32_t w = draw_fast(c, rng);
        const double v = dense_value(c, w);
        if (v > cut.value || (v == cut.value && w <= cut.entry)) return w;
    }
    return draw_dense(c, 1.0, 0, top_p, rng, st.work, st.index);
}

// The stages: enumerate the words by decreasing probability (TopStream), normalise (Z, for
// top_p without top_k), collect the candidates, truncate them as draw_dense would, draw.
std::uint32_t NgramModel::draw_top(const Contexts& c, double temperature, int top_k, double top_p,
                                   Rng& rng, TopState& st) const {
    const TopCache& cache = top_cache();
    TopStream stream(*this, cache, c);
    double p0 = 0.0;
    std::uint32_t w0 = 0;
    stream.next(p0, w0);  // the most probable word: the vocabulary has >= 2 words
    const TemperedWeight weight(temperature, p0);
    // Z, the total weight, is needed by top_p without top_k only: 1 at temperature 1 (the model
    // is normalised).
    const double z = top_k == 0 && weight.tempered
                         ? std::exp(stream.log_total_weight(temperature, st) - weight.max_log)
                         : 1.0;
    // A nucleus of more than a quarter of the vocabulary is drawn by the dense path instead
    // (no random number has been used yet, so the draw is the one draw_dense makes): the
    // enumeration costs about 1 us a word, the dense path's sort about 0.1 us a word.
    const std::size_t max_candidates = std::max<std::size_t>(64, cache.uni_order.size() / 4);
    const auto next = [&](double& p, std::uint32_t& w) { return stream.next(p, w); };
    if (!collect_candidates(next, p0, w0, weight, top_k, top_p, z, max_candidates, st.cand))
        return draw_dense(c, temperature, 0, top_p, rng, st.work, st.index);
    truncate_candidates(st.cand, top_k, top_p, z);
    return draw_candidate(st.cand, rng);
}

Corpus NgramModel::sample(std::size_t n_lines, double temperature, Rng& rng, std::size_t max_len,
                          int top_k, double top_p) const {
    return sample_impl(n_lines, temperature, rng, max_len, top_k, top_p, false);
}

Corpus NgramModel::sample_reference(std::size_t n_lines, double temperature, Rng& rng,
                                    std::size_t max_len, int top_k, double top_p) const {
    return sample_impl(n_lines, temperature, rng, max_len, top_k, top_p, true);
}

Corpus NgramModel::sample_impl(std::size_t n_lines, double temperature, Rng& rng,
                               std::size_t max_len, int top_k, double top_p, bool reference) const {
    if (!fitted_) throw Error("ngram: sample() before fit()");
    if (!(temperature > 0.0) || !std::isfinite(temperature))
        throw ConfigError("ngram: sampling temperature must be > 0");
    if (top_k < 0) throw ConfigError("ngram: top_k must be >= 0 (0 = off)");
    if (!(top_p > 0.0 && top_p <= 1.0)) throw ConfigError("ngram: top_p must be in (0, 1]");
    const std::size_t n_words = orders_[0].word.size() - 1;
    // top_k >= the number of predictable words keeps them all (as draw_dense does).
    if (!reference && static_cast<std::size_t>(top_k) >= n_words) top_k = 0;
    const bool plain = top_k == 0 && top_p >= 1.0;
    const bool nucleus = top_k == 0 && top_p < 1.0 && temperature == 1.0;
    enum class Path { kFast, kTempered, kNucleus, kTop, kDense };
    const Path path = reference                     ? Path::kDense
                      : plain && temperature == 1.0 ? Path::kFast
                      : plain && temperature < 1.0  ? Path::kTempered
                      : nucleus                     ? Path::kNucleus
                      : !plain                      ? Path::kTop
                                                    : Path::kDense;
    Corpus out;
    out.vocabulary = vocabulary_;
    std::vector<double> work;
    std::vector<std::uint32_t> idx;
    TopState top_state;
    const TokenId bos = Vocabulary::kBos;
    const Contexts start = find_contexts(std::span<const TokenId>(&bos, 1));
    const std::size_t keep = static_cast<std::size_t>(options_.order - 1);
    for (std::size_t l = 0; l < n_lines; ++l) {
        Contexts c = start;
        for (std::size_t t = 0; t < max_len; ++t) {
            std::uint32_t w = 0;
            switch (path) {
                case Path::kFast:
                    w = draw_fast(c, rng);
                    break;
                case Path::kTempered:
                    w = draw_tempered(c, temperature, rng, work, idx);
                    break;
                case Path::kNucleus:
                    w = draw_nucleus(c, top_p, rng, top_state);
                    break;
                case Path::kTop:
                    w = draw_top(c, temperature, top_k, top_p, rng, top_state);
                    break;
                case Path::kDense:
                    w = draw_dense(c, temperature, top_k, top_p, rng, work, idx);
                    break;
            }
            if (w == eos_entry_) break;
            out.tokens.push_back(orders_[0].word[w]);
            // The contexts after w: w itself, then (ctx_len w) while it is in the model.
            Contexts next;
            next.m = std::min<std::size_t>(1, keep);
            if (next.m == 1) next.entry[0] = w;
            for (std::size_t len = 1; len <= c.m && len < keep; ++len) {
                const std::uint32_t i = child(static_cast<int>(len), c.entry[len - 1], w);
                if (i == kNone) break;
                next.entry[len] = i;
                next.m = len + 1;
            }
            c = next;
        }
        out.offsets.push_back(out.tokens.size());
    }
    return out;
}

std::size_t NgramModel::memory_bytes() const {
    std::size_t b =
        word_index_.capacity() * sizeof(std::uint32_t) +
        (uni_prob_.capacity() + uni_log10_.capacity() + uni_cum_alpha_.capacity()) * sizeof(double);
    for (const Order& o : orders_)
        b += (o.word.capacity() + o.cum.capacity() + o.child_begin.capacity()) *
                 sizeof(std::uint32_t) +
             (o.gamma.capacity() + o.log10_gamma.capacity() + o.prob.capacity()) * sizeof(double) +
             o.suffix.capacity() * sizeof(std::uint32_t) + o.max_bound.capacity() * sizeof(float);
    return b;
}

}  // namespace madlab
