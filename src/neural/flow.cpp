#include "madlab/neural/flow.h"

#include <fmt/core.h>

#include <cmath>
#include <numbers>

#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"
#include "torch_support.h"

namespace madlab {

using neural::Activation;

namespace {
// The numbers a saved state records besides the weights.
std::vector<std::int64_t> shape_of(std::int64_t d, const FlowOptions& o) {
    return {d, o.coupling_layers, o.training.width, o.training.depth};
}

}  // namespace

struct FlowModel::Network : torch::nn::Module {
    Network(std::int64_t dims, const FlowOptions& options)
        : shape(shape_of(dims, options)), d(dims) {
        mean = register_buffer("mean", torch::zeros({d}));
        scale = register_buffer("scale", torch::ones({d}));
        for (int k = 0; k < options.coupling_layers; ++k) {
            torch::Tensor mask = torch::zeros({d});
            for (std::int64_t j = 0; j < d; ++j)
                if ((j + k) % 2 == 0) mask[j] = 1.0f;
            masks.push_back(register_buffer(fmt::format("mask{}", k), mask));
            nets.push_back(
                register_module(fmt::format("coupling{}", k),
                                neural::make_mlp(d, options.training.width, options.training.depth,
                                                 2 * d, Activation::kRelu)));
            log_scales.push_back(
                register_parameter(fmt::format("log_scale{}", k), torch::zeros({d})));
        }
    }

    // Fresh weights from `generator`; every coupling's output layer zero (identity flow).
    void initialise(at::Generator& generator) {
        for (auto& net : nets) {
            neural::init_layers(*net, generator);
            auto last = net->ptr(net->size() - 1)->as<torch::nn::LinearImpl>();
            torch::NoGradGuard no_grad;
            last->weight.zero_();
            last->bias.zero_();
        }
        torch::NoGradGuard no_grad;
        for (auto& c : log_scales) c.zero_();
    }

    // Scale s and shift t of coupling k at the kept part `kept` (masked to the changed columns).
    std::pair<torch::Tensor, torch::Tensor> coupling(std::size_t k, const torch::Tensor& kept) {
        const torch::Tensor h = nets[k]->forward(kept);
        const torch::Tensor changed = 1.0 - masks[k];
        torch::Tensor s = torch::exp(log_scales[k]) * torch::tanh(h.narrow(1, 0, d)) * changed;
        torch::Tensor t = h.narrow(1, d, d) * changed;
        return {s, t};
    }

    // Standardised rows u -> latent rows z and log |det dz/du| per row.
    std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor u) {
        torch::Tensor log_det = torch::zeros({u.size(0)});
        for (std::size_t k = 0; k < nets.size(); ++k) {
            const torch::Tensor kept = u * masks[k];
            auto [s, t] = coupling(k, kept);
            u = kept + (1.0 - masks[k]) * u * torch::exp(s) + t;
            log_det = log_det + s.sum(1);
        }
        return {u, log_det};
    }

    torch::Tensor inverse(torch::Tensor z) {
        for (std::size_t k = nets.size(); k-- > 0;) {
            const torch::Tensor kept = z * masks[k];
            auto [s, t] = coupling(k, kept);
            z = kept + (1.0 - masks[k]) * (z - t) * torch::exp(-s);
        }
        return z;
    }

    // -log p(u) per standardised row, in nats.
    torch::Tensor nll_standardised(const torch::Tensor& u) {
        auto [z, log_det] = forward(u);
        const double log_norm = 0.5 * static_cast<double>(d) * std::log(2.0 * std::numbers::pi);
        return 0.5 * z.pow(2).sum(1) + log_norm - log_det;
    }

    std::vector<std::int64_t> shape;  // shape_of(d, options)
    std::int64_t d;
    torch::Tensor mean, scale;
    std::vector<torch::Tensor> masks;
    std::vector<torch::nn::Sequential> nets;
    std::vector<torch::Tensor> log_scales;
};

namespace {

void check(const FlowOptions& o) {
    if (o.coupling_layers < 1)
        throw ConfigError(
            fmt::format("model.coupling_layers must be >= 1, got {}", o.coupling_layers));
    o.training.check("flow");
}

}  // namespace

FlowModel::FlowModel(FlowOptions options) : options_(options) { check(options_); }

FlowModel::FlowModel(const FlowModel& other)
    : ContinuousModel(other),
      options_(other.options_),
      network_(neural::copy_network(other.network_, [&](const std::vector<std::int64_t>& shape) {
          return std::make_unique<Network>(shape[0], options_);
      })) {}

FlowModel::~FlowModel() = default;

std::unique_ptr<ContinuousModel> FlowModel::clone() const {
    return std::make_unique<FlowModel>(*this);
}

FitInfo FlowModel::do_fit(const Matrix& train, FitContext<Matrix>& context) {
    neural::prepare_torch();
    const std::int64_t d = train.cols();
    if (d == 0) throw NumericalError("flow: cannot fit data without columns");
    network_.reset();
    auto net = std::make_unique<Network>(d, options_);
    at::Generator generator = neural::torch_generator(context.rng);
    FitInfo info;
    const auto* previous = dynamic_cast<const FlowModel*>(context.previous);
    const bool warm = options_.training.init == TrainingOptions::Init::kPrevious &&
                      previous != nullptr && previous->network_ && previous->network_->d == d;
    const torch::Tensor x = neural::to_tensor(train);
    if (warm) {
        // Fine-tuning keeps the previous standardisation, so the weights keep their meaning.
        neural::copy_weights(*previous->network_, *net);
    } else {
        net->initialise(generator);
        neural::set_standardisation(x, net->mean, net->scale, info);
    }
    const torch::Tensor u = (x - net->mean) / net->scale;
    const double loss =
        neural::train_minibatches(*net, train.rows(), options_.training, context.rng, family(),
                                  [&](const torch::Tensor& rows) {
                                      return net->nll_standardised(u.index_select(0, rows)).mean();
                                  });
    info.iterations = static_cast<int>(options_.training.total_steps(train.rows()));
    info.values.emplace_back("fit_loss", loss);
    network_ = std::move(net);
    neural::keep_weights(context.work_dir, state());
    return info;
}

Matrix FlowModel::do_sample(std::size_t n, double bias, Rng& rng,
                            std::string_view /*purpose*/) const {
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    at::Generator generator = neural::torch_generator(rng);
    const std::int64_t d = network_->d;
    const torch::Tensor z =
        torch::randn({static_cast<std::int64_t>(n), d}, generator, torch::kFloat32) *
        std::sqrt(bias);
    return neural::to_matrix(network_->inverse(z) * network_->scale + network_->mean);
}

Vector FlowModel::log_density(const Matrix& x) const {
    require_fitted();
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    const torch::Tensor u = (neural::to_tensor(x) - network_->mean) / network_->scale;
    // Change of variables through the standardisation: log p(x) = log p(u) - sum_j log scale_j.
    const torch::Tensor log_p =
        -(network_->nll_standardised(u) + torch::log(network_->scale).sum());
    return neural::to_matrix(log_p.reshape({-1, 1})).col(0);
}

double FlowModel::mean_nll(const Matrix& x) const {
    if (x.rows() == 0) return 0.0;
    return -log_density(x).mean();
}

Matrix FlowModel::latent(const Matrix& x) const {
    require_fitted();
    neural::prepare_torch();
    torch::NoGradGuard no_grad;
    const torch::Tensor u = (neural::to_tensor(x) - network_->mean) / network_->scale;
    return neural::to_matrix(network_->forward(u).first);
}

NamedValues FlowModel::do_score_held_out(const Matrix& x) const {
    const double nll = mean_nll(x);
    return nll_score(std::isfinite(nll) ? std::optional<double>(nll) : std::nullopt);
}

std::optional<std::string> FlowModel::save_state() const {
    require_fitted();
    return state();
}

std::string FlowModel::state() const {
    return neural::save_network(family(), network_->shape, *network_);
}

void FlowModel::do_restore_state(const std::string& state) {
    neural::prepare_torch();
    network_ = neural::restore_network<Network>(
        family(), state,
        [&](const std::vector<std::int64_t>& shape) { return shape_of(shape[0], options_); },
        [&](const std::vector<std::int64_t>& shape) {
            return std::make_unique<Network>(shape[0], options_);
        },
        "coupling_layers, width, depth");
}

namespace {

const ModelFamilyRegistrar kFlowFamily([] {
    const FlowOptions defaults;
    ModelFamily family{
        .name = "flow",
        .help = "RealNVP normalizing flow (affine couplings) on LibTorch, exact density",
        .keys = training_keys(defaults.training, /*vectors=*/true, /*text=*/false),
        .make_vectors =
            [](const Params& p) {
                FlowOptions options;
                options.training = training_options(p);
                options.coupling_layers = static_cast<int>(p.get_int("coupling_layers"));
                return std::unique_ptr<ContinuousModel>(std::make_unique<FlowModel>(options));
            },
    };
    family.keys.push_back({.name = "coupling_layers",
                           .type = ConfigKey::Type::kInt,
                           .default_value = std::int64_t{defaults.coupling_layers},
                           .min = 1,
                           .max = 256,
                           .help = "affine coupling layers (alternating halves of the columns)",
                           .text = false});
    return family;
}());

}  // namespace
}  // namespace madlab
