#pragma once
// exp() over arrays for the log-sum-exp kernels of the mixture and kernel density models.
//
// Why not std::exp or Eigen's exp: std::exp is a libm call (no vectorisation, and its last bit
// differs between C libraries, against DESIGN.md's determinism rule), and Eigen's packet exp is
// slow on the baseline x86-64 instruction set; both slow down by 10x on arguments whose result
// is subnormal. This one uses only IEEE additions and multiplications, so it gives the same
// bits everywhere, and compilers vectorise the loop with SSE2.
//
// Method (Tang 1989, "Table-driven implementation of the exponential function in IEEE
// floating-point arithmetic"): x = (32 m + j) ln2 / 32 + r with |r| <= ln2 / 64, ln2 / 32 split
// into a high part (exact when multiplied by k = 32 m + j) and a low part (Cody & Waite 1980);
// e^x = 2^m * 2^(j/32) * e^r, 2^(j/32) from a table of correctly rounded constants, e^r - 1 by
// its degree-6 Taylor polynomial (truncation error < (ln2/64)^7 / 7! < 4e-18), 2^m assembled in
// the exponent bits. Measured error at most 1 ulp against glibc's exp on [-700, 0].

#include <bit>
#include <cstddef>
#include <cstdint>

namespace madlab::detail {

// 2^(j/32) for j = 0..31, correctly rounded (computed with 60-digit decimal arithmetic).
alignas(64) inline constexpr double kExp2Table[32] = {
    0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
    0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
    0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
    0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
    0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
    0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
    0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
    0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0};

// Arguments below this are treated as -inf: e^-700 < 1e-304, far below what a sum of at most
// 2^50 terms whose largest term is 1 can notice, and above the subnormal range (which is slow).
inline constexpr double kExpCutoff = -700.0;

// e^x for x in [kExpCutoff, 0]; other arguments give meaningless results.
inline double exp_nonpositive(double x) {
    constexpr double k32OverLn2 = 32.0 * 1.4426950408889634;
    constexpr double kLn2Hi = 6.93147180369123816490e-01 / 32.0;  // 32 bits: k * hi exact
    constexpr double kLn2Lo = 1.90821492927058770002e-10 / 32.0;
    constexpr double kShifter = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to integer
    const double shifted = x * k32OverLn2 + kShifter;
    const double k = shifted - kShifter;
    const double r = (x - k * kLn2Hi) - k * kLn2Lo;
    double p = 1.0 / 720.0;  // Horner form of e^r - 1 = sum_{1<=i<=6} r^i / i!
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r;
    // The low bits of `shifted` hold k in two's complement: k mod 32 indexes the table and
    // floor(k / 32) + 1023 (the logical shift of the wrapped value, whose high bits then fall
    // off the left) goes into the exponent field.
    const std::uint64_t k_bits =
        std::bit_cast<std::uint64_t>(shifted) - std::bit_cast<std::uint64_t>(kShifter);
    const double t = kExp2Table[k_bits & 31u];
    const double scale = std::bit_cast<double>(((k_bits >> 5) + 1023u) << 52);
    return (t + t * p) * scale;
}

// Half-open index range [begin, end).
struct IndexRange {
    std::ptrdiff_t begin = 0;
    std::ptrdiff_t end = 0;
};

// data[i] = e^(data[i] - shift[i]) where that exponent is >= cutoff, 0 where it is below;
// requires data[i] <= shift[i] and cutoff >= kExpCutoff. shift == nullptr means no shift. Works
// in chunks of kExpChunk: a chunk entirely below the cutoff is zero-filled without computing
// any exponential (most of them in a mixture of well-separated components or a kernel sum over
// distant points). Returns a range, chunk-aligned, outside which every result is zero (empty if
// all are).
inline constexpr std::ptrdiff_t kExpChunk = 8;

inline IndexRange exp_in_place(double* data, const double* shift, std::ptrdiff_t n,
                               double cutoff = kExpCutoff) {
    IndexRange nonzero{n, 0};
    std::ptrdiff_t start = 0;
    for (; start + kExpChunk <= n; start += kExpChunk) {  // fixed trip counts: unrolled
        double* chunk = data + start;
        double x[kExpChunk];
        if (shift != nullptr) {
            for (std::ptrdiff_t i = 0; i < kExpChunk; ++i) x[i] = chunk[i] - shift[start + i];
        } else {
            for (std::ptrdiff_t i = 0; i < kExpChunk; ++i) x[i] = chunk[i];
        }
        // Two interleaved max chains (maxsd, no branches).
        double m0 = x[0], m1 = x[1];
        for (std::ptrdiff_t i = 2; i < kExpChunk; i += 2) {
            m0 = m0 > x[i] ? m0 : x[i];
            m1 = m1 > x[i + 1] ? m1 : x[i + 1];
        }
        if (!((m0 > m1 ? m0 : m1) >= cutoff)) {
            for (std::ptrdiff_t i = 0; i < kExpChunk; ++i) chunk[i] = 0.0;
            continue;
        }
        if (nonzero.begin == n) nonzero.begin = start;
        nonzero.end = start + kExpChunk;
        for (std::ptrdiff_t i = 0; i < kExpChunk; ++i) {
            const double e = exp_nonpositive(x[i] < cutoff ? cutoff : x[i]);
            chunk[i] = x[i] < cutoff ? 0.0 : e;
        }
    }
    for (std::ptrdiff_t i = start; i < n; ++i) {
        const double x = shift != nullptr ? data[i] - shift[i] : data[i];
        data[i] = x < cutoff ? 0.0 : exp_nonpositive(x);
        if (x >= cutoff) {
            if (nonzero.begin == n) nonzero.begin = start;
            nonzero.end = n;
        }
    }
    if (nonzero.begin == n) nonzero = {0, 0};
    return nonzero;
}

}  // namespace madlab::detail
