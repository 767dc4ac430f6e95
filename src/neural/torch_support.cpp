#include "torch_support.h"

#include <ATen/CPUGeneratorImpl.h>
#include <dlfcn.h>
#include <fmt/core.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"

namespace madlab::neural {

void prepare_torch() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Every thread that later runs a LibTorch operator starts its OpenMP team at this size.
        at::set_num_threads(1);
        at::set_num_interop_threads(1);
        // LibTorch multiplies matrices with the system BLAS (OpenBLAS on Debian), which has its
        // own threads; they would change the summation order with the core count.
        using SetThreads = void (*)(int);
        if (auto set =
                reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
            set(1);
        at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    });
}

at::Generator torch_generator(Rng& rng) { return torch_generator(rng.next_u64()); }

at::Generator torch_generator(std::uint64_t seed) {
    return at::make_generator<at::CPUGeneratorImpl>(seed);
}

torch::Tensor to_tensor(const Matrix& x) {
    // Matrix is row-major and contiguous (core/matrix.h): a row is a tensor row.
    return torch::from_blob(const_cast<double*>(x.data()), {x.rows(), x.cols()}, torch::kFloat64)
        .to(torch::kFloat32);
}

Matrix to_matrix(const torch::Tensor& tensor) {
    const torch::Tensor t = tensor.detach().to(torch::kFloat64).contiguous();
    Matrix out(t.size(0), t.size(1));
    std::memcpy(out.data(), t.data_ptr<double>(), sizeof(double) * t.numel());
    return out;
}

void init_uniform_fan_in(torch::Tensor weight, torch::Tensor bias, std::int64_t fan_in,
                         at::Generator& generator) {
    torch::NoGradGuard no_grad;
    const double bound = 1.0 / std::sqrt(static_cast<double>(std::max<std::int64_t>(fan_in, 1)));
    weight.uniform_(-bound, bound, generator);
    if (bias.defined()) bias.uniform_(-bound, bound, generator);
}

void init_linear(torch::nn::Linear& layer, at::Generator& generator) {
    init_uniform_fan_in(layer->weight, layer->bias, layer->weight.size(1), generator);
}

void init_zero(torch::nn::Linear& layer) {
    torch::NoGradGuard no_grad;
    layer->weight.zero_();
    if (layer->bias.defined()) layer->bias.zero_();
}

torch::nn::Sequential make_mlp(std::int64_t in, std::int64_t width, int depth, std::int64_t out,
                               Activation activation) {
    torch::nn::Sequential mlp;
    std::int64_t from = in;
    for (int layer = 0; layer < depth; ++layer) {
        mlp->push_back(torch::nn::Linear(from, width));
        switch (activation) {
            case Activation::kRelu:
                mlp->push_back(torch::nn::ReLU());
                break;
            case Activation::kTanh:
                mlp->push_back(torch::nn::Tanh());
                break;
            case Activation::kGelu:
                mlp->push_back(torch::nn::GELU());
                break;
        }
        from = width;
    }
    mlp->push_back(torch::nn::Linear(from, out));
    return mlp;
}

void init_layers(torch::nn::Module& module, at::Generator& generator) {
    const auto init = [&](torch::Tensor& weight, torch::Tensor& bias) {
        init_uniform_fan_in(weight, bias, weight.numel() / weight.size(0), generator);
    };
    for (const auto& m : module.modules(/*include_self=*/false)) {
        if (auto* linear = m->as<torch::nn::LinearImpl>()) init(linear->weight, linear->bias);
        if (auto* conv = m->as<torch::nn::Conv2dImpl>()) init(conv->weight, conv->bias);
        if (auto* deconv = m->as<torch::nn::ConvTranspose2dImpl>())
            init(deconv->weight, deconv->bias);
    }
}

namespace {

// Parameters then buffers, in registration order: the order of a saved state.
std::vector<std::pair<std::string, torch::Tensor>> named_tensors(const torch::nn::Module& m) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& item : m.named_parameters()) out.emplace_back(item.key(), item.value());
    for (const auto& item : m.named_buffers()) out.emplace_back(item.key(), item.value());
    return out;
}

constexpr char kMagic[8] = {'M', 'A', 'D', 'L', 'A', 'B', 'N', 'N'};
constexpr std::uint32_t kVersion = 1;

template <class T>
void put(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}
void put_string(std::string& out, const std::string& s) {
    put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
    out += s;
}

class StateReader {
public:
    StateReader(const std::string& bytes, const std::string& family)
        : bytes_(bytes), family_(family) {}
    template <class T>
    T get() {
        T value;
        take(reinterpret_cast<char*>(&value), sizeof(T));
        return value;
    }
    std::string get_string() {
        const auto size = get<std::uint32_t>();
        if (size > left()) fail("impossible string length");
        std::string s(bytes_.data() + at_, size);
        at_ += size;
        return s;
    }
    void take(char* to, std::size_t n) {
        if (n > left()) fail("it ends early");
        std::memcpy(to, bytes_.data() + at_, n);
        at_ += n;
    }
    std::size_t left() const { return bytes_.size() - at_; }
    [[noreturn]] void fail(const std::string& why) const {
        throw DataError(
            fmt::format("{}: the saved network state is unreadable ({})", family_, why));
    }

private:
    const std::string& bytes_;
    const std::string& family_;
    std::size_t at_ = 0;
};

// Reads the header and returns the shape numbers; the reader is then at the tensor count.
std::vector<std::int64_t> read_header(StateReader& in, const std::string& family) {
    char magic[sizeof(kMagic)];
    in.take(magic, sizeof(magic));
    if (std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) in.fail("bad magic bytes");
    if (in.get<std::uint32_t>() != kVersion) in.fail("unknown version");
    const std::string saved_family = in.get_string();
    if (saved_family != family)
        throw DataError(
            fmt::format("{}: the saved network state is of the family {}", family, saved_family));
    const auto count = in.get<std::uint32_t>();
    if (count > 1024) in.fail("impossible shape");
    std::vector<std::int64_t> shape(count);
    for (auto& value : shape) value = in.get<std::int64_t>();
    return shape;
}

}  // namespace

void copy_weights(const torch::nn::Module& from, torch::nn::Module& to) {
    const auto source = named_tensors(from);
    auto target = named_tensors(to);
    if (source.size() != target.size())
        throw Error("copy_weights: the networks have different numbers of tensors");
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < source.size(); ++i) {
        if (source[i].first != target[i].first ||
            !source[i].second.sizes().equals(target[i].second.sizes()))
            throw Error(fmt::format("copy_weights: tensor {} differs", source[i].first));
        target[i].second.copy_(source[i].second);
    }
}

std::string save_network(const std::string& family, const std::vector<std::int64_t>& shape,
                         const torch::nn::Module& network) {
    std::string out(kMagic, sizeof(kMagic));
    put<std::uint32_t>(out, kVersion);
    put_string(out, family);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(shape.size()));
    for (std::int64_t value : shape) put<std::int64_t>(out, value);
    const auto tensors = named_tensors(network);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(tensors.size()));
    for (const auto& [name, tensor] : tensors) {
        put_string(out, name);
        put<std::uint32_t>(out, static_cast<std::uint32_t>(tensor.dim()));
        for (std::int64_t size : tensor.sizes()) put<std::int64_t>(out, size);
        const torch::Tensor values = tensor.detach().to(torch::kFloat32).contiguous();
        out.append(reinterpret_cast<const char*>(values.data_ptr<float>()),
                   sizeof(float) * values.numel());
    }
    return out;
}

std::vector<std::int64_t> saved_shape(const std::string& family, const std::string& bytes) {
    StateReader in(bytes, family);
    return read_header(in, family);
}

void load_network(const std::string& family, const std::string& bytes, torch::nn::Module& network) {
    StateReader in(bytes, family);
    read_header(in, family);
    auto tensors = named_tensors(network);
    if (in.get<std::uint32_t>() != tensors.size())
        in.fail("another number of tensors than this model's options give");
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : tensors) {
        const std::string saved_name = in.get_string();
        if (saved_name != name)
            in.fail(fmt::format("tensor {} where {} belongs", saved_name, name));
        const auto dims = in.get<std::uint32_t>();
        if (dims != static_cast<std::uint32_t>(tensor.dim()))
            in.fail(fmt::format("tensor {} has another shape", name));
        for (std::int64_t size : tensor.sizes())
            if (in.get<std::int64_t>() != size)
                in.fail(fmt::format("tensor {} has another shape", name));
        torch::Tensor values = torch::empty(tensor.sizes(), torch::kFloat32);
        in.take(reinterpret_cast<char*>(values.data_ptr<float>()), sizeof(float) * values.numel());
        tensor.copy_(values);
    }
    if (in.left() != 0) in.fail("trailing bytes");
}

double train_minibatches(torch::nn::Module& network, std::size_t rows,
                         const TrainingOptions& options, Rng& rng, const std::string& family,
                         const std::function<torch::Tensor(const torch::Tensor&)>& batch_loss) {
    network.train();
    torch::optim::Adam optimizer(network.parameters(),
                                 torch::optim::AdamOptions(options.learning_rate));
    const auto batch = static_cast<std::size_t>(options.batch_size);
    const std::int64_t batches_per_epoch = static_cast<std::int64_t>((rows + batch - 1) / batch);
    const std::int64_t total = options.total_steps(rows);
    std::vector<std::int64_t> order(rows);
    for (std::size_t i = 0; i < rows; ++i) order[i] = static_cast<std::int64_t>(i);
    std::size_t next = rows;  // position in `order`; rows = reshuffle first
    double last_epoch_sum = 0.0;
    std::int64_t last_epoch_count = 0;
    for (std::int64_t step = 0; step < total; ++step) {
        if (next >= rows) {
            // Fisher-Yates with madlab's stream (the minibatch order is part of the fit).
            for (std::size_t i = rows; i > 1; --i)
                std::swap(order[i - 1], order[rng.uniform_int(i)]);
            next = 0;
        }
        const std::size_t take = std::min(batch, rows - next);
        const torch::Tensor index =
            torch::from_blob(order.data() + next, {static_cast<std::int64_t>(take)}, torch::kInt64)
                .clone();
        next += take;
        optimizer.zero_grad();
        torch::Tensor loss = batch_loss(index);
        const double value = loss.item<double>();
        if (!std::isfinite(value))
            throw NumericalError(fmt::format(
                "{}: the training loss became {} at step {} of {}; lower model.learning_rate "
                "(now {}) or check the data for extreme values",
                family, value, step + 1, total, options.learning_rate));
        loss.backward();
        optimizer.step();
        if (step >= total - batches_per_epoch) {
            last_epoch_sum += value;
            ++last_epoch_count;
        }
    }
    network.eval();
    return last_epoch_count > 0 ? last_epoch_sum / static_cast<double>(last_epoch_count) : 0.0;
}

void set_standardisation(const torch::Tensor& x, torch::Tensor& mean, torch::Tensor& scale,
                         FitInfo& info) {
    torch::NoGradGuard no_grad;
    mean.copy_(x.mean(0));
    const torch::Tensor sd = x.std(0, /*unbiased=*/false);
    const torch::Tensor flat = sd.le(1e-12) | ~torch::isfinite(sd);
    if (flat.any().item<bool>()) {
        info.degenerate = true;
        info.note = "a column has no spread; its scale is taken as 1";
    }
    scale.copy_(torch::where(flat, torch::ones_like(sd), sd));
}

void keep_weights(const std::string& work_dir, const std::string& bytes) {
    if (work_dir.empty()) return;
    std::filesystem::create_directories(work_dir);
    write_file_atomically((std::filesystem::path(work_dir) / "weights.madlabnn").string(), bytes);
}

}  // namespace madlab::neural
