#include "madlab/neural/vae.h"

#include <fmt/core.h>

#include <cmath>
#include <numbers>

#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"
#include "torch_support.h"

namespace madlab {

namespace {

constexpr std::int64_t kConvChannels1 = 32, kConvChannels2 = 64;

// The side of a square image of d pixels whose side is a multiple of 4, or 0.
std::int64_t conv_side(std::int64_t d) {
    const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(d))));
    return side * side == d && side % 4 == 0 ? side : 0;
}

// The numbers a saved state records besides the weights.
std::vector<std::int64_t> shape_of(std::int64_t d, const VaeOptions& o) {
    return {d,
            o.latent_dim,
            o.training.width,
            o.training.depth,
            static_cast<std::int64_t>(o.architecture),
            static_cast<std::int64_t>(o.likelihood)};
}

}  // namespace

struct VaeModel::Network : torch::nn::Module {
    Network(std::int64_t dims, const VaeOptions& o)
        : shape(shape_of(dims, o)),
          d(dims),
          latent(o.latent_dim),
          gaussian(o.likelihood == VaeOptions::Likelihood::kGaussian),
          side(o.architecture == VaeOptions::Architecture::kConv ? conv_side(dims) : 0) {
        mean = register_buffer("mean", torch::zeros({d}));
        scale = register_buffer("scale", torch::ones({d}));
        if (gaussian) log_sd = register_parameter("log_sd", torch::zeros({d}));
        const std::int64_t width = o.training.width;
        if (side == 0) {
            encoder =
                register_module("encoder", neural::make_mlp(d, width, o.training.depth, 2 * latent,
                                                            neural::Activation::kRelu));
            decoder = register_module("decoder", neural::make_mlp(latent, width, o.training.depth,
                                                                  d, neural::Activation::kRelu));
            return;
        }
        const std::int64_t q = side / 4, hidden = kConvChannels2 * q * q;
        using torch::nn::Conv2dOptions;
        using torch::nn::ConvTranspose2dOptions;
        encoder = register_module(
            "encoder",
            torch::nn::Sequential(
                torch::nn::Conv2d(Conv2dOptions(1, kConvChannels1, 4).stride(2).padding(1)),
                torch::nn::ReLU(),
                torch::nn::Conv2d(
                    Conv2dOptions(kConvChannels1, kConvChannels2, 4).stride(2).padding(1)),
                torch::nn::ReLU(), torch::nn::Flatten(), torch::nn::Linear(hidden, width),
                torch::nn::ReLU(), torch::nn::Linear(width, 2 * latent)));
        decoder = register_module(
            "decoder", torch::nn::Sequential(torch::nn::Linear(latent, width), torch::nn::ReLU(),
                                             torch::nn::Linear(width, hidden), torch::nn::ReLU()));
        deconv = register_module(
            "deconv",
            torch::nn::Sequential(
                torch::nn::ConvTranspose2d(
                    ConvTranspose2dOptions(kConvChannels2, kConvChannels1, 4).stride(2).padding(1)),
                torch::nn::ReLU(),
                torch::nn::ConvTranspose2d(
                    ConvTranspose2dOptions(kConvChannels1, 1, 4).stride(2).padding(1))));
    }

    // Mean and log-variance of q(z | u).
    std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& u) {
        const torch::Tensor h = encoder->forward(side ? u.view({-1, 1, side, side}) : u);
        return {h.narrow(1, 0, latent), h.narrow(1, latent, latent)};
    }
    // The decoder's output at z: the mean (gaussian, standardised units) or the logits.
    torch::Tensor decode(const torch::Tensor& z) {
        torch::Tensor h = decoder->forward(z);
        if (side == 0) return h;
        h = deconv->forward(h.view({-1, kConvChannels2, side / 4, side / 4}));
        return h.view({-1, d});
    }
    // Negative ELBO per row of u (standardised units), with noise eps ~ N(0, I) for z.
    torch::Tensor negative_elbo(const torch::Tensor& u, const torch::Tensor& eps) {
        auto [mu, log_var] = encode(u);
        const torch::Tensor z = mu + torch::exp(0.5 * log_var) * eps;
        const torch::Tensor out = decode(z);
        torch::Tensor reconstruction;
        if (gaussian) {
            const double log_norm = 0.5 * std::log(2.0 * std::numbers::pi);
            reconstruction =
                (0.5 * ((u - out) * torch::exp(-log_sd)).pow(2) + log_sd + log_norm).sum(1);
        } else {
            reconstruction =
                torch::binary_cross_entropy_with_logits(out, u, {}, {}, at::Reduction::None).sum(1);
        }
        const torch::Tensor kl = 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(1);
        return reconstruction + kl;
    }
    // Data-space rows from decoder outputs (and observation noise for the gaussian).
    torch::Tensor to_data(const torch::Tensor& out, const torch::Tensor* noise) {
        if (!gaussian) return torch::sigmoid(out);
        torch::Tensor u = out;
        if (noise != nullptr) u = u + torch::exp(log_sd) * *noise;
        return u * scale + mean;
    }

    std::vector<std::int64_t> shape;  // shape_of(d, options)
    std::int64_t d, latent;
    bool gaussian;
    std::int64_t side;  // 0: the mlp architecture
    torch::Tensor mean, scale, log_sd;
    torch::nn::Sequential encoder{nullptr}, decoder{nullptr}, deconv{nullptr};
};

namespace {

void check(const VaeOptions& o) {
    if (o.latent_dim < 1)
        throw ConfigError(fmt::format("model.latent_dim must be >= 1, got {}", o.latent_dim));
    o.training.check("vae");
}

// The stream of the held-out ELBO's noise: fixed, so the score is a function of the model.
constexpr std::uint64_t kScoreSeed = 0x5eed;

}  // namespace

VaeModel::VaeModel(VaeOptions options) : options_(options) { check(options_); }

VaeModel::VaeModel(const VaeModel& other)
    : ContinuousModel(other),
      options_(other.options_),
      network_(neural::copy_network(other.network_, [&](const std::vector<std::int64_t>& shape) {
          return std::make_unique<Network>(shape[0], options_);
      })) {}

VaeModel::~VaeModel() = default;

std::unique_ptr<ContinuousModel> VaeModel::clone() const {
    return std::make_unique<VaeModel>(*this);
}

FitInfo VaeModel::do_fit(const Matrix& train, FitContext<Matrix>& context) {
    neural::prepare_torch();
    const std::int64_t d = train.cols();
    if (d == 0) throw NumericalError("vae: cannot fit data without columns");
    if (options_.architecture == VaeOptions::Architecture::kConv && conv_side(d) == 0)
        throw DataError(fmt::format(
            "vae: model.architecture = \"conv\" needs square one-channel images whose side is a "
            "multiple of 4 (MNIST: 28 x 28), but the rows have {} values; use \"mlp\", or for "
            "images set model.pca_components = 0 so that the model sees pixels",
            d));
    if (options_.likelihood == VaeOptions::Likelihood::kBernoulli &&
        (train.minCoeff() < 0.0 || train.maxCoeff() > 1.0))
        throw DataError(fmt::format(
            "vae: model.likelihood = \"bernoulli\" needs values in [0, 1], but the training data "
            "range from {} to {}; use \"gaussian\", or for images set model.pca_components = 0 "
            "so that the model sees pixels",
            train.minCoeff(), train.maxCoeff()));
    network_.reset();
    auto net = std::make_unique<Network>(d, options_);
    at::Generator generator = neural::torch_generator(context.rng);
    FitInfo info;
    const auto* previous = dynamic_cast<const VaeModel*>(context.previous);
    const bool warm = options_.training.init == TrainingOptions::Init::kPrevious &&
                      previous != nullptr && previous->network_ && previous->network_->d == d;
    const torch::Tensor x = neural::to_tensor(train);
    if (warm) {
        neural::copy_weights(*previous->network_, *net);  // its standardisation too
    } else {
        neural::init_layers(*net, generator);
        if (net->gaussian) neural::set_standardisation(x, net->mean, net->scale, info);
    }
    const torch::Tensor u = (x - net->mean) / net->scale;
    const double loss =
        neural::train_minibatches(*net, train.rows(), options_.training, context.rng, family(),
                                  [&](const torch::Tensor& rows) {
                                      const torch::Tensor batch = u.index_select(0, rows);
                                      const torch::Tensor eps = torch::randn(
                                          {batch.size(0), net->latent}, generator, torch::kFloat32);
                                      return net->negative_elbo(batch, eps).mean();
                                  });
    info.iterations = static_cast<int>(options_.training.total_steps(train.rows()));
    info.values.emplace_back("fit_loss", loss);
    network_ = std::move(net);
    neural::keep_weights(context.work_dir, state());
    return info;
}

Matrix VaeModel::do_sample(std::size_t n, double bias, Rng& rng,
                           std::string_view /*purpose*/) const {
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    at::Generator generator = neural::torch_generator(rng);
    const auto rows = static_cast<std::int64_t>(n);
    const torch::Tensor z =
        torch::randn({rows, network_->latent}, generator, torch::kFloat32) * std::sqrt(bias);
    const torch::Tensor out = network_->decode(z);
    if (!network_->gaussian) return neural::to_matrix(network_->to_data(out, nullptr));
    const torch::Tensor noise = torch::randn({rows, network_->d}, generator, torch::kFloat32);
    return neural::to_matrix(network_->to_data(out, &noise));
}

double VaeModel::reconstruction_mse(const Matrix& x) const {
    require_fitted();
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    if (x.size() == 0) return 0.0;
    const torch::Tensor data = neural::to_tensor(x);
    const torch::Tensor u = (data - network_->mean) / network_->scale;
    const torch::Tensor back =
        network_->to_data(network_->decode(network_->encode(u).first), nullptr);
    return (back - data).pow(2).to(torch::kFloat64).mean().item<double>();
}

double VaeModel::negative_elbo(const Matrix& x) const {
    require_fitted();
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    if (x.rows() == 0) return 0.0;
    const torch::Tensor u = (neural::to_tensor(x) - network_->mean) / network_->scale;
    at::Generator generator = neural::torch_generator(kScoreSeed);
    const torch::Tensor eps =
        torch::randn({u.size(0), network_->latent}, generator, torch::kFloat32);
    // Change of variables through the standardisation (gaussian): + sum_j log scale_j.
    const double log_scale = torch::log(network_->scale).sum().item<double>();
    return network_->negative_elbo(u, eps).to(torch::kFloat64).mean().item<double>() + log_scale;
}

NamedValues VaeModel::do_score_held_out(const Matrix& x) const {
    return {{"neg_elbo", negative_elbo(x)}, {"recon_mse", reconstruction_mse(x)}};
}

std::optional<std::string> VaeModel::save_state() const {
    require_fitted();
    return state();
}

std::string VaeModel::state() const {
    return neural::save_network(family(), network_->shape, *network_);
}

void VaeModel::do_restore_state(const std::string& state) {
    neural::prepare_torch();
    network_ = neural::restore_network<Network>(
        family(), state,
        [&](const std::vector<std::int64_t>& shape) { return shape_of(shape[0], options_); },
        [&](const std::vector<std::int64_t>& shape) {
            return std::make_unique<Network>(shape[0], options_);
        },
        "latent_dim, width, depth, architecture, likelihood");
}

namespace {

const ModelFamilyRegistrar kVaeFamily([] {
    const VaeOptions defaults;
    ModelFamily family{
        .name = "vae",
        .help = "variational autoencoder (MLP or convolutional) on LibTorch; prior N(0, bias I)",
        .keys = training_keys(defaults.training, /*vectors=*/true, /*text=*/false),
        .make_vectors =
            [](const Params& p) {
                VaeOptions options;
                options.training = training_options(p);
                options.latent_dim = static_cast<int>(p.get_int("latent_dim"));
                options.architecture = p.get_string("architecture") == "conv"
                                           ? VaeOptions::Architecture::kConv
                                           : VaeOptions::Architecture::kMlp;
                options.likelihood = p.get_string("likelihood") == "bernoulli"
                                         ? VaeOptions::Likelihood::kBernoulli
                                         : VaeOptions::Likelihood::kGaussian;
                return std::unique_ptr<ContinuousModel>(std::make_unique<VaeModel>(options));
            },
        .image_pca_components = 0,  // the VAE models pixels
    };
    family.keys.push_back({.name = "latent_dim",
                           .type = ConfigKey::Type::kInt,
                           .default_value = std::int64_t{defaults.latent_dim},
                           .min = 1,
                           .max = 4096,
                           .help = "dimensions of the latent space z",
                           .text = false});
    family.keys.push_back({.name = "architecture",
                           .type = ConfigKey::Type::kString,
                           .default_value = std::string("mlp"),
                           .choices = {"mlp", "conv"},
                           .help = "mlp, or conv for square images of side 4k (pixels: "
                                   "model.pca_components = 0)",
                           .text = false});
    family.keys.push_back({.name = "likelihood",
                           .type = ConfigKey::Type::kString,
                           .default_value = std::string("gaussian"),
                           .choices = {"gaussian", "bernoulli"},
                           .help = "p(x|z): gaussian (standardised columns, learned noise) or "
                                   "bernoulli (values in [0, 1], e.g. pixels)",
                           .text = false});
    return family;
}());

}  // namespace
}  // namespace madlab
