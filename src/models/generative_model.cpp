#include "madlab/models/generative_model.h"

#include <cmath>

namespace madlab {

NamedValues nll_score(const std::optional<double>& mean_nll) {
    if (!mean_nll || !std::isfinite(*mean_nll)) return {};
    return {{"nll", *mean_nll}};
}

}  // namespace madlab
