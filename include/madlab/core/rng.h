#pragma once
// Random numbers that are identical on every standard library and thread schedule.
//
// Rng is xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64. Results must depend only
// on the config and the seed (DESIGN.md, "Determinism"), so madlab never uses
// std::normal_distribution and friends: their output differs between standard libraries. Every
// (seed, setting, generation, purpose) gets its own stream from Rng::stream(), so that no two
// computations share a generator and thread count cannot change a result.

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace madlab {

// 64-bit FNV-1a hash of a string: turns purpose names ("train", "test"...) into stream tags.
constexpr std::uint64_t hash_tag(std::string_view text) {
    std::uint64_t h = 14695981039346656037ull;
    for (char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h;
}

class Rng {
public:
    // State of the generator, for checkpoints: restoring it continues the exact same stream.
    using State = std::array<std::uint64_t, 4>;

    explicit Rng(std::uint64_t seed = 0);

    // A generator for one purpose, derived by hashing the tags in order (e.g. {seed,
    // hash_tag(setting), generation, hash_tag("sample")}). Different tag lists give streams
    // that are, for all practical purposes, independent.
    static Rng stream(std::initializer_list<std::uint64_t> tags);

    std::uint64_t next_u64() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    // Uniform double in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
    // Uniform double in (0, 1]: safe to take the log of.
    double uniform_pos();
    // Uniform integer in [0, n), unbiased (Lemire 2019). Requires n > 0.
    std::uint64_t uniform_int(std::uint64_t n);
    // Standard normal by the ziggurat method (Marsaglia & Tsang 2000, 128 layers as in
    // Doornik 2005), exact up to floating point: rejection corrects every layer. The common
    // case (about 98.8% of draws) is inline; wedges and tail go to normal_slow().
    double normal() {
        const std::uint64_t bits = next_u64();
        const int layer = static_cast<int>(bits & (kZigguratLayers - 1));
        const double u = 2.0 * (static_cast<double>(bits >> 11) * 0x1.0p-53) - 1.0;
        if (std::fabs(u) < kZigguratRatio[layer]) return u * kZigguratX[layer];
        return normal_slow(layer, u);
    }

    State state() const { return s_; }
    void set_state(const State& s) { s_ = s; }

    static constexpr int kZigguratLayers = 128;

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    double normal_slow(int layer, double u);

    // Layer edges x[0..128] and ratios x[i+1]/x[i] of the ziggurat (rng.cpp fills them).
    static const double* const kZigguratX;
    static const double* const kZigguratRatio;

    State s_;
};

// Draws k distinct indices from [0, n) in random order (partial Fisher-Yates). Requires k <= n.
// Cost O(n) memory and O(n + k) time.
std::vector<std::size_t> sample_without_replacement(std::size_t n, std::size_t k, Rng& rng);

}  // namespace madlab
