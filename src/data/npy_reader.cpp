#include "madlab/data/npy_reader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string_view>
#include <system_error>
#include <vector>

#include "io_util.h"
#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"
#include "madlab/core/printable.h"

namespace madlab {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;
constexpr std::size_t kMaxHeaderSize = std::size_t{1} << 20;

// ----- The header: a Python dict literal such as
// {'descr': '<f8', 'fortran_order': False, 'shape': (272, 2), }

struct NpyHeader {
    std::string descr;
    bool descr_is_list = false;  // a structured dtype
    bool fortran_order = false;
    std::vector<std::uint64_t> shape;
    bool has_descr = false, has_fortran_order = false, has_shape = false;
};

// A parser for the small subset of Python literals that .npy headers use.
class HeaderParser {
public:
    HeaderParser(std::string_view text, const std::string& path) : s_(text), path_(path) {}

    NpyHeader parse() {
        NpyHeader header;
        expect('{');
        for (;;) {
            skip_space();
            if (peek() == '}') break;
            const std::string key = parse_string();
            expect(':');
            skip_space();
            if (key == "descr") {
                header.has_descr = true;
                if (peek() == '[') {
                    header.descr_is_list = true;
                    skip_bracketed();
                } else {
                    header.descr = parse_string();
                }
            } else if (key == "fortran_order") {
                header.has_fortran_order = true;
                header.fortran_order = parse_bool();
            } else if (key == "shape") {
                header.has_shape = true;
                header.shape = parse_tuple();
            } else {
                skip_value();
            }
            skip_space();
            if (peek() == ',') {
                ++i_;
                continue;
            }
            skip_space();
            if (peek() != '}') fail("expected ',' or '}'");
        }
        if (!header.has_descr || !header.has_fortran_order || !header.has_shape) {
            fail("it lacks one of the keys 'descr', 'fortran_order' and 'shape'");
        }
        return header;
    }

private:
    [[noreturn]] void fail(std::string_view what) const {
        throw DataError(fmt::format(
            "{} has a malformed .npy header ({} at character {} of \"{}\"); re-save the array "
            "with numpy.save",
            path_, what, i_, s_.substr(0, 200)));
    }

    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

    void skip_space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n')) ++i_;
    }

    void expect(char c) {
        skip_space();
        if (peek() != c) fail(fmt::format("expected '{}'", c));
        ++i_;
    }

    std::string parse_string() {
        skip_space();
        const char quote = peek();
        if (quote != '\'' && quote != '"') fail("expected a quoted string");
        const std::size_t end = s_.find(quote, i_ + 1);
        if (end == std::string_view::npos) fail("unterminated string");
        std::string out(s_.substr(i_ + 1, end - i_ - 1));
        i_ = end + 1;
        return out;
    }

    bool parse_bool() {
        if (s_.substr(i_).starts_with("True")) {
            i_ += 4;
            return true;
        }
        if (s_.substr(i_).starts_with("False")) {
            i_ += 5;
            return false;
        }
        fail("expected True or False");
    }

    // "(272, 2)", "(5,)", "()"; Python 2 files may write "5L".
    std::vector<std::uint64_t> parse_tuple() {
        std::vector<std::uint64_t> out;
        expect('(');
        for (;;) {
            skip_space();
            if (peek() == ')') {
                ++i_;
                return out;
            }
            std::uint64_t value = 0;
            const auto [ptr, ec] = std::from_chars(s_.data() + i_, s_.data() + s_.size(), value);
            if (ec != std::errc()) fail("expected a non-negative integer in the shape");
            i_ = static_cast<std::size_t>(ptr - s_.data());
            if (peek() == 'L') ++i_;
            out.push_back(value);
            skip_space();
            if (peek() == ',') {
                ++i_;
            } else if (peek() != ')') {
                fail("expected ',' or ')' in the shape");
            }
        }
    }

    // Skips a [...] or (...) value, quotes included.
    void skip_bracketed() {
        int depth = 0;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (c == '\'' || c == '"') {
                parse_string();
                continue;
            }
            if (c == '[' || c == '(' || c == '{') ++depth;
            if (c == ']' || c == ')' || c == '}') --depth;
            ++i_;
            if (depth == 0) return;
        }
        fail("unbalanced brackets");
    }

    void skip_value() {
        const char c = peek();
        if (c == '\'' || c == '"') {
            parse_string();
        } else if (c == '[' || c == '(' || c == '{') {
            skip_bracketed();
        } else {
            while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}') ++i_;
        }
    }

    std::string_view s_;
    const std::string& path_;
    std::size_t i_ = 0;
};

// ----- Element types

enum class Kind { kFloat, kSigned, kUnsigned, kBool };

struct Dtype {
    Kind kind;
    std::size_t size;
};

std::string shape_text(const std::vector<std::uint64_t>& shape) {
    if (shape.size() == 1) return fmt::format("({},)", shape[0]);
    return fmt::format("({})", fmt::join(shape, ", "));
}

Dtype parse_dtype(const NpyHeader& header, const std::string& path) {
    if (header.descr_is_list) {
        throw DataError(fmt::format(
            "{} holds a structured array (named fields); madlab reads plain numeric arrays: "
            "save np.column_stack of the numeric fields instead",
            path));
    }
    const std::string& d = header.descr;
    const std::string fix =
        fmt::format("re-save it as float64 with np.save('{}', arr.astype('<f8'))", path);
    if (d.size() >= 2 && d[0] == '>') {
        throw DataError(
            fmt::format("{} has the big-endian dtype '{}'; madlab reads little-endian "
                        "data: {}",
                        path, printable(d), fix));
    }
    if (d.size() == 3 && (d[0] == '<' || d[0] == '|' || d[0] == '=')) {
        const char type = d[1];
        const std::size_t size = static_cast<std::size_t>(d[2] - '0');
        if (type == 'f' && (size == 4 || size == 8)) return {Kind::kFloat, size};
        if (type == 'i' && (size == 1 || size == 2 || size == 4 || size == 8)) {
            return {Kind::kSigned, size};
        }
        if (type == 'u' && (size == 1 || size == 2 || size == 4 || size == 8)) {
            return {Kind::kUnsigned, size};
        }
        if (type == 'b' && size == 1) return {Kind::kBool, 1};
    }
    throw DataError(fmt::format(
        "{} has dtype '{}', which madlab does not read (it reads '<f8', '<f4', '<i8', '<i4', "
        "'<i2', '|i1', '<u8', '<u4', '<u2', '|u1' and '|b1'): {}",
        path, printable(d), fix));
}

// Reads a little-endian value of type T (an unsigned integer of the same size as the element).
template <class U>
U load_le(const unsigned char* p) {
    U value;
    std::memcpy(&value, p, sizeof(U));
    if constexpr (std::endian::native == std::endian::big) {
        U swapped = 0;
        for (std::size_t b = 0; b < sizeof(U); ++b) {
            swapped = static_cast<U>((swapped << 8) | ((value >> (8 * b)) & 0xff));
        }
        value = swapped;
    }
    return value;
}

double convert(const unsigned char* p, const Dtype& dtype) {
    switch (dtype.kind) {
        case Kind::kFloat:
            if (dtype.size == 8) return std::bit_cast<double>(load_le<std::uint64_t>(p));
            return static_cast<double>(std::bit_cast<float>(load_le<std::uint32_t>(p)));
        case Kind::kSigned:
            switch (dtype.size) {
                case 1:
                    return static_cast<double>(static_cast<std::int8_t>(p[0]));
                case 2:
                    return static_cast<double>(
                        std::bit_cast<std::int16_t>(load_le<std::uint16_t>(p)));
                case 4:
                    return static_cast<double>(
                        std::bit_cast<std::int32_t>(load_le<std::uint32_t>(p)));
                default:
                    return static_cast<double>(
                        std::bit_cast<std::int64_t>(load_le<std::uint64_t>(p)));
            }
        case Kind::kUnsigned:
            switch (dtype.size) {
                case 1:
                    return static_cast<double>(p[0]);
                case 2:
                    return static_cast<double>(load_le<std::uint16_t>(p));
                case 4:
                    return static_cast<double>(load_le<std::uint32_t>(p));
                default:
                    return static_cast<double>(load_le<std::uint64_t>(p));
            }
        case Kind::kBool:
            return p[0] != 0 ? 1.0 : 0.0;
    }
    return 0.0;
}

[[noreturn]] void throw_truncated(const std::string& path, std::uint64_t n, std::uint64_t d,
                                  const std::string& descr, std::uint64_t expected,
                                  std::uint64_t available) {
    throw DataError(fmt::format(
        "{} is truncated: its header promises {} x {} values of dtype '{}' ({} bytes) but only {} "
        "bytes of data follow; the file is incomplete, so copy or save it again",
        path, n, d, descr, expected, available));
}

}  // namespace

Matrix read_npy(const std::string& path) {
    detail::FilePtr file = detail::open_for_reading(path);
    std::error_code ec;
    const std::uintmax_t file_size = std::filesystem::file_size(path, ec);

    unsigned char preamble[12];
    const std::size_t got = std::fread(preamble, 1, 10, file.get());
    if (got < 8 || std::memcmp(preamble, kMagic, kMagicSize) != 0) {
        throw DataError(fmt::format(
            "{} is not a NumPy .npy file (it does not start with \"\\x93NUMPY\"); save arrays "
            "with numpy.save, or use a .csv file",
            path));
    }
    const int major = preamble[6];
    const int minor = preamble[7];
    if (major < 1 || major > 3 || minor != 0) {
        throw DataError(fmt::format(
            "{} is a .npy file of format version {}.{}; madlab reads versions 1.0, 2.0 and 3.0: "
            "re-save it with numpy.save",
            path, major, minor));
    }
    std::size_t header_size;
    std::size_t offset;
    if (major == 1) {
        if (got < 10) throw DataError(fmt::format("{} is truncated inside its .npy header", path));
        header_size = load_le<std::uint16_t>(preamble + 8);
        offset = 10;
    } else {
        if (got < 10 || std::fread(preamble + 10, 1, 2, file.get()) != 2) {
            throw DataError(fmt::format("{} is truncated inside its .npy header", path));
        }
        header_size = load_le<std::uint32_t>(preamble + 8);
        offset = 12;
    }
    if (header_size > kMaxHeaderSize || (!ec && offset + header_size > file_size)) {
        throw DataError(fmt::format("{} is truncated or corrupt: its .npy header claims {} bytes",
                                    path, header_size));
    }
    std::string header_text(header_size, '\0');
    if (std::fread(header_text.data(), 1, header_size, file.get()) != header_size) {
        throw DataError(fmt::format("{} is truncated inside its .npy header", path));
    }
    const NpyHeader header = HeaderParser(header_text, path).parse();
    const Dtype dtype = parse_dtype(header, path);
    if (header.fortran_order) {
        throw DataError(fmt::format(
            "{} is stored in Fortran (column-major) order; madlab reads C order: save it with "
            "np.save('{}', np.ascontiguousarray(arr))",
            path, path));
    }
    const std::vector<std::uint64_t>& shape = header.shape;
    if (shape.empty() || shape.size() > 2) {
        throw DataError(fmt::format(
            "{} holds an array of shape {} ({} dimensions); madlab reads shape (n,) or (n, d): "
            "save arr.reshape(len(arr), -1) for one point per row",
            path, shape_text(shape), shape.size()));
    }
    const std::uint64_t n = shape[0];
    const std::uint64_t d = shape.size() == 2 ? shape[1] : 1;
    if (n == 0 || d == 0) {
        throw DataError(
            fmt::format("{} holds an empty array of shape {}; it needs at least one "
                        "row and one column",
                        path, shape_text(shape)));
    }
    constexpr std::uint64_t kMaxIndex =
        static_cast<std::uint64_t>(std::numeric_limits<Eigen::Index>::max());
    if (n > kMaxIndex / d || n * d > kMaxIndex / dtype.size) {
        throw DataError(fmt::format("{} has shape {}, too large to load", path, shape_text(shape)));
    }
    const std::uint64_t count = n * d;
    const std::uint64_t bytes = count * dtype.size;
    if (!ec && file_size - offset - header_size < bytes) {
        throw_truncated(path, n, d, header.descr, bytes, file_size - offset - header_size);
    }
    if (!ec && file_size - offset - header_size > bytes) {
        // numpy.save writes nothing after the data: a header that accounts for less than the
        // file holds does not describe it (data appended, or a header edited by hand).
        throw DataError(fmt::format(
            "{} holds {} bytes of data, but its header's shape {} of dtype '{}' accounts for {} "
            "bytes; the header does not describe the data, so re-save the array with numpy.save",
            path, file_size - offset - header_size, shape_text(shape), printable(header.descr),
            bytes));
    }

    Matrix x(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
    double* out = x.data();
    std::uint64_t done = 0;
    if (dtype.kind == Kind::kFloat && dtype.size == 8 &&
        std::endian::native == std::endian::little) {
        done = std::fread(out, sizeof(double), count, file.get());
        if (done != count) throw_truncated(path, n, d, header.descr, bytes, done * 8);
    } else {
        std::vector<unsigned char> block(std::size_t{1} << 20);
        const std::size_t per_block = block.size() / dtype.size;
        while (done < count) {
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(per_block, count - done));
            const std::size_t read = std::fread(block.data(), dtype.size, want, file.get());
            for (std::size_t k = 0; k < read; ++k) {
                out[done + k] = convert(block.data() + k * dtype.size, dtype);
            }
            done += read;
            if (read < want) {
                throw_truncated(path, n, d, header.descr, bytes, done * dtype.size);
            }
        }
    }

    if (dtype.kind == Kind::kFloat) {
        for (std::uint64_t k = 0; k < count; ++k) {
            if (!std::isfinite(out[k])) {
                const std::uint64_t row = k / d;
                const std::string where =
                    shape.size() == 1
                        ? fmt::format("element {}", row)
                        : fmt::format("row {} column {} (flat index {})", row, k % d, k);
                throw DataError(fmt::format(
                    "{}: {} (0-based, as NumPy counts) is {}, not a finite number; remove or "
                    "impute the row, e.g. arr[np.isfinite(arr).all(axis=1)]",
                    path, where, out[k]));
            }
        }
    }
    return x;
}

void write_npy(const std::string& path, const Matrix& x) {
    std::string header = fmt::format(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}", x.rows(), x.cols());
    // Pad with spaces so that magic + version + length + header ends on a 64-byte boundary and
    // the header ends in '\n', as numpy writes it.
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');

    unsigned char preamble[10];
    std::memcpy(preamble, kMagic, kMagicSize);
    preamble[6] = 1;
    preamble[7] = 0;
    preamble[8] = static_cast<unsigned char>(header.size() & 0xff);
    preamble[9] = static_cast<unsigned char>(header.size() >> 8);
    write_file_atomically(path, [&](std::ostream& out) {
        out.write(reinterpret_cast<const char*>(preamble), 10);
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        const auto count = static_cast<std::size_t>(x.size());
        if constexpr (std::endian::native == std::endian::little) {
            out.write(reinterpret_cast<const char*>(x.data()),
                      static_cast<std::streamsize>(sizeof(double) * count));
        } else {
            for (std::size_t k = 0; k < count; ++k) {
                const auto bits = std::bit_cast<std::uint64_t>(x.data()[k]);
                char le[8];
                for (int b = 0; b < 8; ++b) le[b] = static_cast<char>(bits >> (8 * b));
                out.write(le, 8);
            }
        }
    });
}

}  // namespace madlab
