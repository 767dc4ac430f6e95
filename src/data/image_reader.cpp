#include "madlab/data/image_reader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

#include "io_util.h"
#include "madlab/core/error.h"
#include "madlab/core/printable.h"

namespace madlab {

namespace {

constexpr unsigned char kIdxUnsignedByte = 0x08;

bool is_gzip(const std::string& bytes) {
    return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
           static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string read_all(const std::string& path) {
    detail::FilePtr file = detail::open_for_reading(path);
    std::string out;
    char buffer[1 << 16];
    for (;;) {
        const std::size_t got = std::fread(buffer, 1, sizeof(buffer), file.get());
        out.append(buffer, got);
        if (got < sizeof(buffer)) break;
    }
    if (std::ferror(file.get()))
        throw DataError(fmt::format("cannot read data file '{}': read error", path));
    return out;
}

// Inflates every gzip member of `in` (gzip allows several, concatenated).
std::string gunzip(const std::string& in, const std::string& path) {
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        throw Error(fmt::format("zlib could not start decompressing '{}'", path));
    std::string out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    char buffer[1 << 16];
    int rc = Z_OK;
    for (;;) {
        z.next_out = reinterpret_cast<Bytef*>(buffer);
        z.avail_out = sizeof(buffer);
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buffer, sizeof(buffer) - z.avail_out);
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0) break;
            inflateReset(&z);  // another member follows
            continue;
        }
        if (rc == Z_OK) continue;
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // input ended inside a member
        const std::string why = z.msg ? z.msg : fmt::format("zlib error {}", rc);
        inflateEnd(&z);
        throw DataError(fmt::format(
            "data file '{}' is not valid gzip data ({}); download it again or gunzip it to check",
            path, why));
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END)
        throw DataError(fmt::format(
            "data file '{}' is a truncated gzip file (it ends inside the compressed data); "
            "download it again",
            path));
    return out;
}

struct IdxArray {
    std::vector<std::size_t> dims;
    std::string_view data;  // the elements, one byte each
};

std::uint32_t big_endian_u32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

// Parses the IDX header of `bytes` and checks that the data that follows has exactly the size
// the dimensions give. `what` says what the file should hold ("images", "labels").
IdxArray parse_idx(const std::string& bytes, const std::string& path, std::size_t want_dims,
                   const char* what) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    if (bytes.size() < 4 || p[0] != 0 || p[1] != 0)
        throw DataError(fmt::format(
            "data file '{}' is not an IDX file (bad magic bytes: it should start with two zero "
            "bytes, the element type and the number of dimensions); give an MNIST-style "
            "*-idx{}-ubyte[.gz] file of {}",
            path, want_dims, what));
    if (p[2] != kIdxUnsignedByte)
        throw DataError(
            fmt::format("IDX file '{}' has element type 0x{:02x}; madlab reads unsigned bytes "
                        "(0x08), as MNIST and Fashion-MNIST store them",
                        path, p[2]));
    const std::size_t ndims = p[3];
    if (ndims != want_dims)
        throw DataError(fmt::format(
            "IDX file '{}' has {} dimension{}, but {} files have {} ({}); check that the path "
            "names the {} file",
            path, ndims, ndims == 1 ? "" : "s", what, want_dims,
            want_dims == 3 ? "count, height, width" : "count", what));
    const std::size_t header = 4 + 4 * ndims;
    if (bytes.size() < header)
        throw DataError(fmt::format("IDX file '{}' is truncated: it ends inside its header", path));
    IdxArray out;
    const std::size_t have = bytes.size() - header;
    // The product of the dimensions; three 32-bit dimensions can multiply past 2^64, and the
    // wrapped product could match the size of the data.
    std::size_t total = 1;
    bool overflow = false;
    for (std::size_t i = 0; i < ndims; ++i) {
        const std::size_t dim = big_endian_u32(p + 4 + 4 * i);
        if (dim == 0)
            throw DataError(fmt::format("IDX file '{}': dimension {} is 0; the file holds no {}",
                                        path, i, what));
        out.dims.push_back(dim);
        if (total > std::numeric_limits<std::size_t>::max() / dim) overflow = true;
        total *= dim;
    }
    if (overflow)
        throw DataError(
            fmt::format("IDX file '{}' is truncated: its header announces {} bytes of data "
                        "but only {} follow; download it again",
                        path, fmt::join(out.dims, " x "), have));
    if (have < total)
        throw DataError(
            fmt::format("IDX file '{}' is truncated: its header announces {} bytes of data ({}) "
                        "but only {} follow; download it again",
                        path, total, fmt::join(out.dims, " x "), have));
    if (have > total)
        throw DataError(fmt::format(
            "IDX file '{}' has {} bytes after the {} its header announces ({}); it is not a "
            "well-formed IDX file",
            path, have - total, total, fmt::join(out.dims, " x ")));
    out.data = std::string_view(bytes).substr(header);
    return out;
}

}  // namespace

std::string read_maybe_gzip(const std::string& path) {
    std::string bytes = read_all(path);
    return is_gzip(bytes) ? gunzip(bytes, path) : bytes;
}

ImageSet read_idx_images(const std::string& path) {
    const std::string bytes = read_maybe_gzip(path);
    const IdxArray a = parse_idx(bytes, path, 3, "images");
    ImageSet set;
    set.shape = {a.dims[1], a.dims[2]};
    const auto n = static_cast<Eigen::Index>(a.dims[0]);
    const auto d = static_cast<Eigen::Index>(a.dims[1] * a.dims[2]);
    set.pixels.resize(n, d);
    const auto* src = reinterpret_cast<const unsigned char*>(a.data.data());
    double* dst = set.pixels.data();
    for (std::size_t i = 0; i < a.data.size(); ++i) dst[i] = static_cast<double>(src[i]) / 255.0;
    return set;
}

std::vector<int> read_idx_labels(const std::string& path) {
    const std::string bytes = read_maybe_gzip(path);
    const IdxArray a = parse_idx(bytes, path, 1, "labels");
    std::vector<int> labels(a.data.size());
    for (std::size_t i = 0; i < labels.size(); ++i)
        labels[i] = static_cast<unsigned char>(a.data[i]);
    return labels;
}

ImageSet read_idx_dataset(const std::string& images_path, const std::string& labels_path) {
    ImageSet set = read_idx_images(images_path);
    if (labels_path.empty()) return set;
    set.labels = read_idx_labels(labels_path);
    if (set.labels.size() != set.count())
        throw DataError(fmt::format(
            "IDX files do not match: '{}' holds {} images but '{}' holds {} labels; give the "
            "label file of the same split",
            images_path, set.count(), labels_path, set.labels.size()));
    return set;
}

std::string idx_labels_path_for(const std::string& images_path) {
    const std::string from = "images-idx3-ubyte";
    const auto at = images_path.rfind(from);
    if (at == std::string::npos) return "";
    std::string out = images_path;
    out.replace(at, from.size(), "labels-idx1-ubyte");
    return out;
}

ImageSet read_digits_csv(const std::string& path) {
    constexpr std::size_t kPixels = 64;
    const std::string text = read_maybe_gzip(path);
    std::vector<double> values;
    std::vector<int> labels;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        std::size_t cells = 0;
        std::size_t start = 0;
        for (;;) {
            std::size_t comma = line.find(',', start);
            if (comma == std::string_view::npos) comma = line.size();
            std::string_view cell = line.substr(start, comma - start);
            while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t'))
                cell.remove_prefix(1);
            while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t'))
                cell.remove_suffix(1);
            int v = 0;
            const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
            if (ec != std::errc() || ptr != cell.data() + cell.size() || cell.empty())
                throw DataError(fmt::format(
                    "digits file '{}' line {} cell {}: '{}' is not an integer; the UCI digits "
                    "file has 64 pixel values 0..16 and a label 0..9 per line",
                    path, line_no, cells + 1, printable(cell)));
            if (cells < kPixels) {
                if (v < 0 || v > 16)
                    throw DataError(fmt::format(
                        "digits file '{}' line {} cell {}: pixel value {} is outside 0..16", path,
                        line_no, cells + 1, v));
                values.push_back(static_cast<double>(v) / 16.0);
            } else if (cells == kPixels) {
                if (v < 0 || v > 9)
                    throw DataError(fmt::format(
                        "digits file '{}' line {}: label {} is outside 0..9", path, line_no, v));
                labels.push_back(v);
            }
            ++cells;
            if (comma == line.size()) break;
            start = comma + 1;
        }
        if (cells != kPixels + 1)
            throw DataError(fmt::format(
                "digits file '{}' line {} has {} cells; the UCI digits file has 65 (64 pixels "
                "of an 8 x 8 image and the label)",
                path, line_no, cells));
    }
    if (labels.empty()) throw DataError(fmt::format("digits file '{}' holds no images", path));
    ImageSet set;
    set.shape = {8, 8};
    set.labels = std::move(labels);
    set.pixels =
        Eigen::Map<const Matrix>(values.data(), static_cast<Eigen::Index>(set.labels.size()),
                                 static_cast<Eigen::Index>(kPixels));
    return set;
}

}  // namespace madlab
