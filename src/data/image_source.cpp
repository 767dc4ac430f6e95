#include "madlab/data/image_source.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "madlab/core/error.h"

namespace madlab {

namespace {

ImageSet read_images(const ImageSourceOptions& o, std::string& description) {
    if (o.kind == "digits") {
        description = o.path;
        return read_digits_csv(o.path);
    }
    if (o.kind != "idx")
        throw ConfigError(fmt::format(
            "source.kind = \"{}\" is not an image source; use \"idx\" or \"digits\"", o.kind));
    std::string images = o.path;
    if (o.path == "fashion-mnist") {
        images = std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz";
        if (!std::filesystem::exists(images))
            throw DataError(fmt::format(
                "source.path = \"fashion-mnist\" names Debian's dataset-fashion-mnist package, "
                "but {} is missing; install it with apt-get install dataset-fashion-mnist (or run "
                "scripts/install-deps.sh)",
                images));
    }
    description = o.path;
    std::string labels = o.labels_path;
    if (labels.empty()) {
        const std::string derived = idx_labels_path_for(images);
        if (!derived.empty() && std::filesystem::exists(derived)) labels = derived;
    }
    return read_idx_dataset(images, labels);
}

}  // namespace

ImageSource::ImageSource(ImageSet images, std::string description, double test_fraction,
                         std::uint64_t split_seed)
    : description_(description),
      shape_(images.shape),
      labels_(std::move(images.labels)),
      file_(std::move(images.pixels), std::move(description), test_fraction, split_seed) {
    if (shape_.size() != 2 || shape_[0] * shape_[1] != file_.dim())
        throw DataError(fmt::format("{}: image shape {} does not match {} pixels a row",
                                    file_.describe(), fmt::join(shape_, " x "), file_.dim()));
    if (!labels_.empty() && labels_.size() != file_.rows())
        throw DataError(fmt::format("{}: {} labels for {} images", file_.describe(), labels_.size(),
                                    file_.rows()));
}

std::string ImageSource::describe() const {
    return fmt::format("{} ({} images {} x {})", description_, file_.rows(), shape_[0], shape_[1]);
}

Matrix ImageSource::training_pool() const {
    const auto& rows = file_.train_rows();
    Matrix x(static_cast<Eigen::Index>(rows.size()), file_.data().cols());
    for (std::size_t i = 0; i < rows.size(); ++i)
        x.row(static_cast<Eigen::Index>(i)) = file_.data().row(static_cast<Eigen::Index>(rows[i]));
    return x;
}

std::vector<int> ImageSource::training_labels() const {
    if (labels_.empty()) return {};
    std::vector<int> out;
    out.reserve(file_.train_rows().size());
    for (std::size_t row : file_.train_rows()) out.push_back(labels_[row]);
    return out;
}

ImageSource load_image_source(const ImageSourceOptions& options) {
    if (!(options.test_fraction > 0.0 && options.test_fraction < 1.0))
        throw ConfigError(
            fmt::format("source.test_fraction = {} must be in (0, 1)", options.test_fraction));
    std::string description;
    ImageSet images = read_images(options, description);
    if (!options.labels.empty()) {
        if (images.labels.empty())
            throw ConfigError(fmt::format(
                "source.labels: {} has no labels to filter by; give source.labels_path (the "
                "...-labels-idx1-ubyte file) or remove source.labels",
                description));
        std::vector<Eigen::Index> keep;
        for (std::size_t i = 0; i < images.labels.size(); ++i)
            if (std::find(options.labels.begin(), options.labels.end(), images.labels[i]) !=
                options.labels.end())
                keep.push_back(static_cast<Eigen::Index>(i));
        if (keep.size() < 2)
            throw ConfigError(fmt::format(
                "source.labels = [{}] keeps {} of the {} images of {}; choose classes "
                "that occur in the file",
                fmt::join(options.labels, ", "), keep.size(), images.count(), description));
        Matrix kept(static_cast<Eigen::Index>(keep.size()), images.pixels.cols());
        std::vector<int> kept_labels;
        for (std::size_t i = 0; i < keep.size(); ++i) {
            kept.row(static_cast<Eigen::Index>(i)) = images.pixels.row(keep[i]);
            kept_labels.push_back(images.labels[static_cast<std::size_t>(keep[i])]);
        }
        images.pixels = std::move(kept);
        images.labels = std::move(kept_labels);
        description += fmt::format(" labels {}", fmt::join(options.labels, ","));
    }
    return ImageSource(std::move(images), description, options.test_fraction, options.split_seed);
}

}  // namespace madlab
