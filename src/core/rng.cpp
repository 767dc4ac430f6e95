#include "madlab/core/rng.h"

#include <cmath>
#include <numeric>

namespace madlab {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Ziggurat tables for the standard normal with 128 layers of equal area kZigV. Layer i covers
// |x| < x[i]; layer 0 is the base strip plus the tail beyond kZigR. Constants from Doornik (2005),
// "An Improved Ziggurat Method to Generate Normal Random Samples".
constexpr int kZigLayers = Rng::kZigguratLayers;
constexpr double kZigR = 3.442619855899;
constexpr double kZigV = 9.91256303526217e-3;

struct ZigguratTables {
    double x[kZigLayers + 1];
    double ratio[kZigLayers];  // x[i+1] / x[i]: the part of layer i that needs no test
    ZigguratTables() {
        double f = std::exp(-0.5 * kZigR * kZigR);
        x[0] = kZigV / f;
        x[1] = kZigR;
        x[kZigLayers] = 0.0;
        for (int i = 2; i < kZigLayers; ++i) {
            x[i] = std::sqrt(-2.0 * std::log(kZigV / x[i - 1] + f));
            f = std::exp(-0.5 * x[i] * x[i]);
        }
        for (int i = 0; i < kZigLayers; ++i) ratio[i] = x[i + 1] / x[i];
    }
};

const ZigguratTables kTables;

const ZigguratTables& zig() { return kTables; }

}  // namespace

const double* const Rng::kZigguratX = kTables.x;
const double* const Rng::kZigguratRatio = kTables.ratio;

Rng::Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& word : s_) word = splitmix64(x);
}

Rng Rng::stream(std::initializer_list<std::uint64_t> tags) {
    std::uint64_t h = 0x6a09e667f3bcc909ull;
    for (std::uint64_t t : tags) {
        std::uint64_t x = h ^ t;
        h = splitmix64(x);
    }
    return Rng(h);
}

double Rng::uniform_pos() { return (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53; }

std::uint64_t Rng::uniform_int(std::uint64_t n) {
    __uint128_t m = static_cast<__uint128_t>(next_u64()) * n;
    std::uint64_t low = static_cast<std::uint64_t>(m);
    if (low < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = static_cast<__uint128_t>(next_u64()) * n;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<std::uint64_t>(m >> 64);
}

double Rng::normal_slow(int layer, double u) {
    const ZigguratTables& t = zig();
    for (;;) {
        if (layer == 0) {
            // Tail beyond kZigR (Marsaglia 1964).
            double a, b;
            do {
                a = std::log(uniform_pos()) / kZigR;
                b = std::log(uniform_pos());
            } while (-2.0 * b < a * a);
            return u < 0 ? a - kZigR : kZigR - a;
        }
        const double x = u * t.x[layer];
        const double f0 = std::exp(-0.5 * (t.x[layer] * t.x[layer] - x * x));
        const double f1 = std::exp(-0.5 * (t.x[layer + 1] * t.x[layer + 1] - x * x));
        if (f1 + uniform() * (f0 - f1) < 1.0) return x;
        // Rejected: draw again, as normal() would.
        const std::uint64_t bits = next_u64();
        layer = static_cast<int>(bits & (kZigLayers - 1));
        u = 2.0 * (static_cast<double>(bits >> 11) * 0x1.0p-53) - 1.0;
        if (std::fabs(u) < t.ratio[layer]) return u * t.x[layer];
    }
}

std::vector<std::size_t> sample_without_replacement(std::size_t n, std::size_t k, Rng& rng) {
    std::vector<std::size_t> index(n);
    std::iota(index.begin(), index.end(), std::size_t{0});
    for (std::size_t i = 0; i < k; ++i) {
        const std::size_t j = i + rng.uniform_int(n - i);
        std::swap(index[i], index[j]);
    }
    index.resize(k);
    return index;
}

}  // namespace madlab
