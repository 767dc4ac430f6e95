#pragma once
// The feature space of image metrics that the papers use for MNIST: the penultimate layer of a
// small LeNet-style classifier trained on the real training images ("FID on LeNet features",
// as Alemohammad et al. 2023 and Gillman et al. 2024 report for MNIST; LeCun et al. 1998 for
// the network). metrics.features = "lenet" computes the Frechet distance, precision, recall,
// density, coverage and KID of every generation in this space.
//
// Network, for h x w one-channel images (h, w >= 4): conv 5x5 1 -> 6 channels (padding 2),
// ReLU, 2x2 max-pool; conv 5x5 6 -> 16 (padding 2), ReLU, 2x2 max-pool; fully connected
// 16 (h/4)(w/4) -> 120 -> 84 (ReLU each) -> classes. The 84 ReLU units are the features. (The
// 1998 LeNet-5 has no padding on the second convolution; padding both keeps small images
// such as the 8 x 8 UCI digits usable.)
//
// Training: cross-entropy, Adam, `epochs` passes in minibatches, weights and batch order drawn
// from `seed` alone, on LibTorch's deterministic single-threaded path: the same images give the
// same network bit for bit, so every setting of a study, and a resumed run, sees the same
// feature space.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/metrics/feature_map.h"

namespace madlab {

struct LenetOptions {
    int epochs = 3;               // passes over the training images
    int batch_size = 64;          // images per minibatch
    double learning_rate = 1e-3;  // Adam's step size
    std::uint64_t seed = 0;       // initial weights and batch order
};

class LenetFeatureMap final : public FeatureMap {
public:
    // Trains the classifier on `images` (n x height * width, row-major pixels) with their
    // class `labels` (n values in [0, 1000)). Throws DataError when the labels are missing or
    // not one per image, fewer than 2 classes occur, or the images are smaller than 4 x 4.
    LenetFeatureMap(const Matrix& images, const std::vector<int>& labels, std::size_t height,
                    std::size_t width, std::string description, LenetOptions options = {});
    ~LenetFeatureMap() override;

    // e.g. "lenet(84) trained on 8000 real training images (10 classes, accuracy 0.97)".
    std::string describe() const override;
    // The 84 features of every row.
    Matrix map(const Matrix& x) const override;
    // Share of rows whose predicted class is their label.
    double accuracy(const Matrix& x, const std::vector<int>& labels) const;
    // Accuracy on the training images, measured after training.
    double training_accuracy() const { return training_accuracy_; }

    static constexpr int kFeatures = 84;

private:
    struct Network;
    std::unique_ptr<Network> network_;
    std::string description_;
    double training_accuracy_ = 0.0;
};

}  // namespace madlab
