#pragma once
// A shard of a study: `madlab run --shard K/N` runs the chains whose index (setting position x
// seeds + seed index, the order of records) is K modulo N, into a database of its own, and
// `madlab merge` combines N such shards into the run of the whole study. For clusters without
// MPI: N independent jobs (a Slurm job array), one shard each.

#include <cstddef>
#include <string>

namespace madlab {

struct Shard {
    int index = 0;  // K, 0 <= K < N
    int count = 1;  // N >= 1; 1 = the whole study

    bool whole() const { return count == 1; }
    // Whether the chain of this index belongs to the shard.
    bool has(std::size_t chain_index) const {
        return chain_index % static_cast<std::size_t>(count) == static_cast<std::size_t>(index);
    }
    // "K/N".
    std::string to_string() const;
};

// Parses "K/N" (0 <= K < N, N >= 1); throws ConfigError naming `where` (e.g. "--shard") and
// saying what is expected.
Shard parse_shard(const std::string& text, const std::string& where);

}  // namespace madlab
