#pragma once
// LibTorch plumbing shared by the neural families; the only header that includes LibTorch, so
// that nothing outside src/neural compiles it (it is the neural layer's precompiled header).
// Contracts:
// - prepare_torch() before any LibTorch work: one intra-op thread (also for OpenBLAS, which
//   LibTorch calls for matrix products) and deterministic algorithms, process-wide. Chains run
//   in parallel on their own threads, so a chain's numbers never depend on the thread count.
// - Randomness comes only from explicit generators seeded from madlab's Rng streams
//   (torch_generator), never from LibTorch's global generator.
// - Tensors are float32; a Matrix row is a tensor row.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"
#include "madlab/models/generative_model.h"
#include "madlab/neural/training.h"

namespace madlab::neural {

void prepare_torch();

// A LibTorch CPU generator seeded with the next number of `rng`.
at::Generator torch_generator(Rng& rng);
// A LibTorch CPU generator with a fixed seed (a score that must be a function of the model).
at::Generator torch_generator(std::uint64_t seed);

torch::Tensor to_tensor(const Matrix& x);       // n x d float32
Matrix to_matrix(const torch::Tensor& tensor);  // a 2-D tensor, any floating type

// PyTorch's default initialisation of a linear or convolutional layer (uniform in
// +-1/sqrt(fan_in) for weight and bias, what kaiming_uniform_(a = sqrt(5)) gives), drawn from
// `generator`: `fan_in` is the inputs per output unit.
void init_uniform_fan_in(torch::Tensor weight, torch::Tensor bias, std::int64_t fan_in,
                         at::Generator& generator);
void init_linear(torch::nn::Linear& layer, at::Generator& generator);
// Every parameter zero (an output layer that makes a flow start as the identity).
void init_zero(torch::nn::Linear& layer);

// A multilayer perceptron: `in` -> `depth` hidden layers of `width` units (activation between
// layers) -> `out`, as a Sequential.
enum class Activation { kRelu, kTanh, kGelu };
torch::nn::Sequential make_mlp(std::int64_t in, std::int64_t width, int depth, std::int64_t out,
                               Activation activation);
// init_uniform_fan_in on every Linear, Conv2d and ConvTranspose2d of `module` and its
// submodules, in module order (fan_in: the weight's elements per output unit, as PyTorch).
void init_layers(torch::nn::Module& module, at::Generator& generator);

// Copies every parameter and buffer value of `from` into `to` (same structure; throws Error
// naming the first tensor that differs in name or shape).
void copy_weights(const torch::nn::Module& from, torch::nn::Module& to);

// The saved state of a network: the family name, the numbers that fix the network's shape
// (data width, vocabulary size, options) and every parameter and buffer in module order.
// Format (little-endian): "MADLABNN" v1, family, shape numbers, then per tensor its name, its
// dimensions and its float32 values.
std::string save_network(const std::string& family, const std::vector<std::int64_t>& shape,
                         const torch::nn::Module& network);
// The shape numbers of a saved state of `family`; throws DataError for other bytes.
std::vector<std::int64_t> saved_shape(const std::string& family, const std::string& bytes);
// Loads the tensors of a saved state into `network` (built with saved_shape's numbers); throws
// DataError when a name, shape or size differs.
void load_network(const std::string& family, const std::string& bytes, torch::nn::Module& network);

// Minibatch training: options.total_steps(rows) Adam steps on `network`'s parameters, the
// rows reshuffled each epoch with `rng`; batch_loss(rows of the batch, as an int64 tensor)
// returns the batch's mean loss. Returns the mean loss of the last epoch (of the last
// ceil(rows / batch) steps when model.steps is set). Throws NumericalError naming
// model.learning_rate when the loss stops being finite.
double train_minibatches(torch::nn::Module& network, std::size_t rows,
                         const TrainingOptions& options, Rng& rng, const std::string& family,
                         const std::function<torch::Tensor(const torch::Tensor&)>& batch_loss);

// Sets `mean` and `scale` (1-D, one entry per column) to the column means and standard
// deviations of x; a column without spread gets scale 1, and `info` says so (degenerate).
void set_standardisation(const torch::Tensor& x, torch::Tensor& mean, torch::Tensor& scale,
                         FitInfo& info);

// A copy of `from` (null stays null): a network built by make(from's shape) with its weights.
template <class Network, class Make>
std::unique_ptr<Network> copy_network(const std::unique_ptr<Network>& from, const Make& make) {
    if (!from) return nullptr;
    std::unique_ptr<Network> copy = make(from->shape);
    copy_weights(*from, *copy);
    return copy;
}

// The network of a saved state: make(shape) builds one of the saved shape numbers, which must
// be what `expected(shape)` gives for them (the model's options); otherwise DataError saying
// the state was written with other options (`options_named` lists them).
template <class Network, class Expected, class Make>
std::unique_ptr<Network> restore_network(const std::string& family, const std::string& bytes,
                                         const Expected& expected, const Make& make,
                                         const std::string& options_named) {
    const std::vector<std::int64_t> shape = saved_shape(family, bytes);
    if (shape.empty() || shape[0] < 1 || shape != expected(shape))
        throw DataError(family +
                        ": the saved network state was written with other model options (" +
                        options_named + "); resume with the study's original config");
    std::unique_ptr<Network> network = make(shape);
    load_network(family, bytes, *network);
    return network;
}

// Writes `bytes` to <work_dir>/weights.madlabnn (atomically) when work_dir is not empty: every
// generation's weights, kept beside its other files.
void keep_weights(const std::string& work_dir, const std::string& bytes);

}  // namespace madlab::neural
