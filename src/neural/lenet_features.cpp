#include "madlab/neural/lenet_features.h"

#include <fmt/core.h>

#include <algorithm>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "torch_support.h"

namespace madlab {

struct LenetFeatureMap::Network : torch::nn::Module {
    Network(std::int64_t h, std::int64_t w, std::int64_t classes) : height(h), width(w) {
        using torch::nn::Conv2dOptions;
        conv1 = register_module("conv1", torch::nn::Conv2d(Conv2dOptions(1, 6, 5).padding(2)));
        conv2 = register_module("conv2", torch::nn::Conv2d(Conv2dOptions(6, 16, 5).padding(2)));
        fc1 = register_module("fc1", torch::nn::Linear(16 * (h / 4) * (w / 4), 120));
        fc2 = register_module("fc2", torch::nn::Linear(120, kFeatures));
        fc3 = register_module("fc3", torch::nn::Linear(kFeatures, classes));
    }
    torch::Tensor features(const torch::Tensor& x) {
        torch::Tensor h = x.view({-1, 1, height, width});
        h = torch::max_pool2d(torch::relu(conv1->forward(h)), 2);
        h = torch::max_pool2d(torch::relu(conv2->forward(h)), 2);
        h = torch::relu(fc1->forward(h.flatten(1)));
        return torch::relu(fc2->forward(h));
    }
    torch::Tensor logits(const torch::Tensor& x) { return fc3->forward(features(x)); }

    std::int64_t height, width;
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};

namespace {

// Rows at a time through the network when mapping (bounds the activations' memory).
constexpr std::int64_t kChunk = 4096;

}  // namespace

LenetFeatureMap::LenetFeatureMap(const Matrix& images, const std::vector<int>& labels,
                                 std::size_t height, std::size_t width, std::string description,
                                 LenetOptions options)
    : description_(std::move(description)) {
    neural::prepare_torch();
    if (labels.size() != static_cast<std::size_t>(images.rows()) || labels.empty())
        throw DataError(fmt::format(
            "metrics.features = \"lenet\" trains a classifier on labelled images, but {} has {} "
            "labels for {} images; give source.labels_path (the ...-labels-idx1-ubyte file) or "
            "use metrics.features = \"pca\"",
            description_, labels.size(), images.rows()));
    if (height < 4 || width < 4 || height * width != static_cast<std::size_t>(images.cols()))
        throw DataError(
            fmt::format("metrics.features = \"lenet\" needs images of at least 4 x 4 "
                        "pixels; {} has {} x {}",
                        description_, height, width));
    const int max_label = *std::max_element(labels.begin(), labels.end());
    const int min_label = *std::min_element(labels.begin(), labels.end());
    if (min_label < 0 || max_label >= 1000 || min_label == max_label)
        throw DataError(
            fmt::format("metrics.features = \"lenet\" needs at least 2 classes with "
                        "labels in [0, 1000); {} has labels {} to {}",
                        description_, min_label, max_label));
    network_ = std::make_unique<Network>(static_cast<std::int64_t>(height),
                                         static_cast<std::int64_t>(width), max_label + 1);
    Rng rng(options.seed);
    at::Generator generator = neural::torch_generator(rng);
    neural::init_layers(*network_, generator);
    const torch::Tensor x = neural::to_tensor(images);
    const torch::Tensor y =
        torch::tensor(std::vector<std::int64_t>(labels.begin(), labels.end()), torch::kInt64);
    TrainingOptions training;
    training.epochs = options.epochs;
    training.batch_size = options.batch_size;
    training.learning_rate = options.learning_rate;
    neural::train_minibatches(
        *network_, labels.size(), training, rng, "lenet features", [&](const torch::Tensor& rows) {
            return torch::cross_entropy_loss(network_->logits(x.index_select(0, rows)),
                                             y.index_select(0, rows));
        });
    training_accuracy_ = accuracy(images, labels);
}

LenetFeatureMap::~LenetFeatureMap() = default;

std::string LenetFeatureMap::describe() const {
    return fmt::format("lenet({}) trained on {} (training accuracy {:.3f})", kFeatures,
                       description_, training_accuracy_);
}

Matrix LenetFeatureMap::map(const Matrix& x) const {
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    Matrix out(x.rows(), kFeatures);
    for (Eigen::Index start = 0; start < x.rows(); start += kChunk) {
        const Eigen::Index rows = std::min<Eigen::Index>(kChunk, x.rows() - start);
        out.middleRows(start, rows) =
            neural::to_matrix(network_->features(neural::to_tensor(x.middleRows(start, rows))));
    }
    return out;
}

double LenetFeatureMap::accuracy(const Matrix& x, const std::vector<int>& labels) const {
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    if (x.rows() == 0) return 0.0;
    std::int64_t right = 0;
    for (Eigen::Index start = 0; start < x.rows(); start += kChunk) {
        const Eigen::Index rows = std::min<Eigen::Index>(kChunk, x.rows() - start);
        const torch::Tensor predicted =
            network_->logits(neural::to_tensor(x.middleRows(start, rows))).argmax(1).contiguous();
        const std::int64_t* classes = predicted.data_ptr<std::int64_t>();
        for (Eigen::Index i = 0; i < rows; ++i)
            right += classes[i] == labels[static_cast<std::size_t>(start + i)];
    }
    return static_cast<double>(right) / static_cast<double>(x.rows());
}

}  // namespace madlab
