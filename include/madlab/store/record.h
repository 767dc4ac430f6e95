#pragma once
// The unit of every result: one value of one metric at one generation of one chain.

#include <cstdint>
#include <string>

namespace madlab {

struct Record {
    std::string setting;
    std::uint64_t seed = 0;
    int generation = 0;  // 0 = trained on real data only
    std::string metric;
    double value = 0.0;
};

}  // namespace madlab
