// Uses the installed madlab the way another project would, one layer at a time, and prints
// lines that tests/install/check_install.cmake compares with their known values:
//   study: parses the built-in default study (4 settings x 10 seeds, the README's);
//   models: fits a Gaussian to the corners of the square [0, 2]^2 (mean (1, 1), MLE
//           covariance the identity);
//   report: the vega build compiled into the report layer is there (not empty).
// Exit status 0 unless something throws.

#include <cstdio>
#include <exception>

#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"
#include "madlab/models/gaussian.h"
#include "madlab/report/assets.h"
#include "madlab/study/study_config.h"

int main() {
    try {
        const madlab::StudyConfig study =
            madlab::parse_study(madlab::default_study_toml(), "<default>");
        std::printf("study %s settings=%zu seeds=%d\n", study.name.c_str(), study.settings.size(),
                    study.seeds);

        madlab::Matrix corners(4, 2);
        corners << 0, 0, 2, 0, 0, 2, 2, 2;
        madlab::GaussianModel model;
        madlab::Rng rng(1);
        model.fit(corners, rng);
        const madlab::GaussianParams params = model.gaussian_params();
        std::printf("gaussian mean=%.3f,%.3f cov=%.3f,%.3f,%.3f\n", params.mean(0), params.mean(1),
                    params.covariance(0, 0), params.covariance(0, 1), params.covariance(1, 1));

        std::printf("report vega_js=%s\n",
                    madlab::report_assets::vega_js().empty() ? "empty" : "ok");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "madlab_consumer: %s\n", e.what());
        return 1;
    }
}
