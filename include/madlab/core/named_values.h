#pragma once
// Named numbers: what a metric, a model's held-out score or a fit adds to a generation's
// records, in the order they are recorded.

#include <string>
#include <utility>
#include <vector>

namespace madlab {

using NamedValues = std::vector<std::pair<std::string, double>>;

}  // namespace madlab
