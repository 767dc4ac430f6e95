#include "madlab/neural/vae.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <thread>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"

namespace madlab {
namespace vae_test {

// Points on a closed curve in 6 dimensions, x = (cos t, sin t, cos 2t, sin 2t, cos 3t, sin 3t)
// + N(0, 0.05^2) noise: one latent dimension explains them, up to the noise (mean squared error
// per value 0.0025).
constexpr double kNoiseSd = 0.05;
Matrix curve(std::size_t n, Rng& rng) {
    Matrix x(n, 6);
    for (std::size_t i = 0; i < n; ++i) {
        const double t = 2 * std::numbers::pi * rng.uniform();
        for (int k = 0; k < 3; ++k) {
            x(i, 2 * k) = std::cos((k + 1) * t) + kNoiseSd * rng.normal();
            x(i, 2 * k + 1) = std::sin((k + 1) * t) + kNoiseSd * rng.normal();
        }
    }
    return x;
}

// 8 x 8 images in [0, 1]: one bright horizontal or vertical bar (16 kinds) on a dark ground.
Matrix bars(std::size_t n, Rng& rng) {
    Matrix x = Matrix::Constant(n, 64, 0.05);
    for (std::size_t i = 0; i < n; ++i) {
        const auto kind = static_cast<int>(rng.uniform_int(16));
        for (int k = 0; k < 8; ++k) x(i, kind < 8 ? kind * 8 + k : k * 8 + (kind - 8)) = 0.95;
    }
    return x;
}

VaeOptions small_options() {
    VaeOptions o;
    o.latent_dim = 2;
    o.training.width = 64;
    o.training.depth = 2;
    o.training.epochs = 60;
    o.training.batch_size = 64;
    o.training.learning_rate = 3e-3;
    return o;
}

VaeOptions bars_options(VaeOptions::Architecture architecture) {
    VaeOptions o;
    o.latent_dim = 4;
    o.architecture = architecture;
    o.likelihood = VaeOptions::Likelihood::kBernoulli;
    o.training.width = 64;
    o.training.epochs = 30;
    o.training.batch_size = 32;
    o.training.learning_rate = 3e-3;
    return o;
}

struct Fitted {
    Matrix train, test;
    VaeModel model;
};
Fitted fit_curve(VaeOptions options = small_options(), std::uint64_t seed = 3) {
    Rng data_rng(2);
    Fitted f{curve(1000, data_rng), curve(1000, data_rng), VaeModel(options)};
    Rng fit_rng(seed);
    f.model.fit(f.train, fit_rng);
    return f;
}

TEST(VaeModel, ReconstructsACurveDownToItsNoise) {
    Fitted f = fit_curve();
    // Per-value variance of the data: 0.5 (cos and sin of a uniform angle); a model that
    // ignored its input would reconstruct with that error. One latent coordinate suffices, so
    // a trained VAE must get within a small factor of the noise (0.0025).
    const double mse = f.model.reconstruction_mse(f.test);
    EXPECT_LT(mse, 0.03) << mse;
    // The bound is finite and better than that of the best Gaussian density of the data
    // (6 columns of variance 0.5 + noise, uncorrelated: 6 * 0.5 * log(2 pi e 0.5025) = 6.4).
    const double neg_elbo = f.model.negative_elbo(f.test);
    EXPECT_LT(neg_elbo, 6.4 - 2.0) << neg_elbo;
    const NamedValues scores = f.model.score_held_out(f.test);
    ASSERT_EQ(scores.size(), 2u);
    EXPECT_EQ(scores[0].first, "neg_elbo");
    EXPECT_EQ(scores[0].second, neg_elbo);
    EXPECT_EQ(scores[1].first, "recon_mse");
}

TEST(VaeModel, SamplesLieOnTheCurveAndBiasNarrowsThem) {
    Fitted f = fit_curve();
    Rng r1(4), r2(4);
    const Matrix wide = f.model.sample(4000, 1.0, r1);
    const Matrix narrow = f.model.sample(4000, 0.05, r2);
    // On the curve, cos^2 t + sin^2 t = 1 for the first pair of columns.
    const auto radius_error = [](const Matrix& x) {
        return ((x.col(0).array().square() + x.col(1).array().square()).sqrt() - 1.0).abs().mean();
    };
    // The prior's disk must map onto a ring, so some latent points decode to chords inside it
    // (0.22 measured; noise alone gives 0.04, a model that ignored z gives 1).
    EXPECT_LT(radius_error(wide), 0.3);
    // lambda = 0.05 keeps z within about 0.22 sd of the prior's centre: the samples cover a
    // small arc, so their spread over the first two columns (1.0 for the whole curve) falls.
    const auto spread = [](const Matrix& x) {
        const Matrix c = x.leftCols(2).rowwise() - x.leftCols(2).colwise().mean();
        return c.array().square().sum() / static_cast<double>(x.rows());
    };
    EXPECT_NEAR(spread(wide), 1.0, 0.3);  // 0.80 measured: a VAE under-disperses
    EXPECT_LT(spread(narrow), 0.5 * spread(wide)) << spread(narrow);
}

TEST(VaeModel, LearnsImagesWithBothArchitectures) {
    for (auto architecture : {VaeOptions::Architecture::kMlp, VaeOptions::Architecture::kConv}) {
        Rng data_rng(5);
        const Matrix train = bars(800, data_rng), test = bars(400, data_rng);
        VaeModel model(bars_options(architecture));
        Rng rng(6);
        model.fit(train, rng);
        // A pixel is 0.05 or 0.95: guessing the mean image errs by about 0.81 * 0.11 = 0.09
        // per pixel; with 16 kinds and 4 latent dimensions the bars must come back.
        EXPECT_LT(model.reconstruction_mse(test), 0.02) << static_cast<int>(architecture);
        Rng sample_rng(7);
        const Matrix samples = model.sample(50, 1.0, sample_rng);
        EXPECT_GE(samples.minCoeff(), 0.0);  // pixel probabilities
        EXPECT_LE(samples.maxCoeff(), 1.0);
    }
}

TEST(VaeModel, SavedStateRestoresTheSameSamples) {
    Fitted f = fit_curve();
    VaeModel restored(small_options());
    restored.restore_state(*f.model.save_state());
    Rng r1(8), r2(8), r3(8);
    const Matrix a = f.model.sample(200, 0.6, r1);
    EXPECT_EQ(restored.sample(200, 0.6, r2), a);
    EXPECT_EQ(f.model.clone()->sample(200, 0.6, r3), a);
    EXPECT_EQ(restored.negative_elbo(f.test), f.model.negative_elbo(f.test));
    VaeModel conv(bars_options(VaeOptions::Architecture::kConv));
    EXPECT_THROW(conv.restore_state(*f.model.save_state()), DataError);
}

TEST(VaeModel, SameSeedSameWeightsWhateverTheThreads) {
    VaeOptions o = small_options();
    o.training.epochs = 5;
    const std::string alone = *fit_curve(o, 31).model.save_state();
    std::string t1, t2;
    std::thread a([&] { t1 = *fit_curve(o, 31).model.save_state(); });
    std::thread b([&] { t2 = *fit_curve(o, 32).model.save_state(); });
    a.join();
    b.join();
    EXPECT_EQ(t1, alone);
    EXPECT_NE(t2, alone);
}

TEST(VaeModel, InitPreviousStartsFromThePreviousWeights) {
    Fitted f = fit_curve();
    VaeOptions o = small_options();
    o.training.steps = 1;
    o.training.learning_rate = 1e-7;
    o.training.init = TrainingOptions::Init::kPrevious;
    VaeModel next(o);
    Rng rng(9);
    FitContext<Matrix> context(rng);
    context.previous = &f.model;
    next.fit(f.train, context);
    EXPECT_NEAR(next.reconstruction_mse(f.test), f.model.reconstruction_mse(f.test), 1e-4);
    o.training.init = TrainingOptions::Init::kScratch;
    VaeModel fresh(o);
    Rng rng2(9);
    FitContext<Matrix> context2(rng2);
    context2.previous = &f.model;
    fresh.fit(f.train, context2);
    EXPECT_GT(fresh.reconstruction_mse(f.test), 0.2);  // untrained: about the data's variance
}

TEST(VaeModel, RejectsDataItsOptionsCannotModel) {
    VaeOptions o = small_options();
    o.latent_dim = 0;
    EXPECT_THROW(VaeModel{o}, ConfigError);
    Rng data_rng(1);
    const Matrix x = curve(50, data_rng);  // values in [-1, 1]
    Rng rng(1);
    VaeModel bernoulli(bars_options(VaeOptions::Architecture::kMlp));
    try {
        bernoulli.fit(x, rng);
        FAIL() << "no error";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("model.likelihood"), std::string::npos) << e.what();
    }
    VaeModel conv(bars_options(VaeOptions::Architecture::kConv));
    const Matrix not_square = Matrix::Constant(10, 12, 0.5);
    EXPECT_THROW(conv.fit(not_square, rng), DataError);
    EXPECT_FALSE(conv.fitted());
}

}  // namespace vae_test
}  // namespace madlab
