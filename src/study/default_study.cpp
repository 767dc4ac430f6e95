#include "madlab/study/study_config.h"

namespace madlab {

// The default study: Alemohammad et al.'s 2-D MAD experiment on the 25-mode grid, under the four
// loop designs of the brief. examples/default.toml holds the same text (a test checks it).
const std::string& default_study_toml() {
    static const std::string text =
        R"(# The default study: a 25-component Gaussian mixture on the 5x5 grid of Gaussians, trained
# generation after generation under four loop designs (SCIENCE.md section 2). Fully synthetic
# loses modes (recall and coverage fall, Frechet distance grows); synthetic augmentation with a
# fixed real set degrades later; fresh real data every generation holds quality and diversity.
[study]
name = "mad-grid25"
description = "How do the loop designs of the brief change quality and diversity?"
seeds = 10
generations = 20

[source]
kind = "grid25"

[model]
family = "gmm"
components = 25

[schedule]
n = 2000

[metrics]
list = ["frechet", "prdc", "nll"]
n_eval = 2000

[[settings]]
name = "fully-synthetic"
schedule.preset = "fully-synthetic"

[[settings]]
name = "synthetic-augmentation"
schedule.preset = "synthetic-augmentation"

[[settings]]
name = "fresh-data"
schedule.preset = "fresh-data"

[[settings]]
name = "accumulate"
schedule.preset = "accumulate"
)";
    return text;
}

}  // namespace madlab
