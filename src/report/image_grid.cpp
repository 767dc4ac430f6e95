#include "madlab/report/image_grid.h"

#include <fmt/core.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>

#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"
#include "madlab/report/html_report.h"
#include "madlab/report/sample_html.h"

namespace madlab {

namespace {

void put_be32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

// A PNG chunk: length, type, data, CRC-32 of type and data (PNG specification, section 5.3).
void put_chunk(std::string& out, const char* type, const std::string& data) {
    put_be32(out, static_cast<std::uint32_t>(data.size()));
    const std::string body = std::string(type, 4) + data;
    out += body;
    put_be32(out, static_cast<std::uint32_t>(
                      crc32(0L, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

}  // namespace

std::string encode_png_rgb(const std::vector<std::uint8_t>& rgb, std::size_t width,
                           std::size_t height) {
    if (rgb.size() != width * height * 3 || width == 0 || height == 0)
        throw Error(fmt::format("PNG: {} bytes for {} x {} RGB pixels", rgb.size(), width, height));
    // Every scanline is prefixed with its filter type, 0 (none).
    std::string raw;
    raw.reserve(height * (width * 3 + 1));
    for (std::size_t r = 0; r < height; ++r) {
        raw += '\0';
        raw.append(reinterpret_cast<const char*>(rgb.data() + r * width * 3), width * 3);
    }
    uLongf size = compressBound(raw.size());
    std::string compressed(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &size,
                  reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 9) != Z_OK)
        throw Error("PNG: zlib could not compress the image");
    compressed.resize(size);

    std::string png = "\x89PNG\r\n\x1a\n";
    std::string header;
    put_be32(header, static_cast<std::uint32_t>(width));
    put_be32(header, static_cast<std::uint32_t>(height));
    header += '\x08';        // bit depth
    header += '\x02';        // colour type: RGB
    header.append(3, '\0');  // compression, filter, interlace
    put_chunk(png, "IHDR", header);
    put_chunk(png, "IDAT", compressed);
    put_chunk(png, "IEND", "");
    return png;
}

std::string labelled_grid_svg(const std::string& png, std::size_t width, std::size_t height,
                              const std::string& title, const std::vector<std::string>& labels,
                              const std::vector<double>& row_centres) {
    const double left = kLabelWidth;
    const double top = kTitleHeight;
    std::string out = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
        "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\">\n"
        "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        "<text x=\"{2}\" y=\"{3}\" font-size=\"13\" font-weight=\"bold\">{4}</text>\n",
        left + static_cast<double>(width), top + static_cast<double>(height), left, top - 7.0,
        html_escape(title));
    for (std::size_t r = 0; r < labels.size() && r < row_centres.size(); ++r)
        out += fmt::format(
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" "
            "dominant-baseline=\"middle\">{}</text>\n",
            left - 8.0, top + row_centres[r], html_escape(labels[r]));
    out += fmt::format(
        "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
        "style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{}\"/>\n</svg>\n",
        left, top, width, height, base64(png));
    return out;
}

std::vector<std::string> write_image_grids(const StudyFolder& folder, const std::string& fig_dir,
                                           const ImageGridOptions& options) {
    const std::vector<SettingSamples> settings = samples_by_setting(folder, is_drawable_image);
    std::vector<std::string> files;
    if (settings.empty()) return files;
    std::filesystem::create_directories(fig_dir);
    const auto [low, high] = real_image_range(folder);
    for (std::size_t s = 0; s < settings.size(); ++s) {
        std::vector<const SampleEntry*> rows;
        if (settings[s].real != nullptr) rows.push_back(settings[s].real);
        for (const auto& [generation, entry] : settings[s].model) rows.push_back(entry);
        std::size_t side = 1;
        for (const SampleEntry* e : rows)
            side = std::max({side, image_dims(*e)[0], image_dims(*e)[1]});
        const std::size_t zoom =
            options.zoom > 0 ? options.zoom : std::max<std::size_t>(64 / side, 1);
        // The cell size: the largest image (settings keep one shape; this is defensive).
        std::size_t cell_h = 0, cell_w = 0, columns = 0;
        for (const SampleEntry* e : rows) {
            const auto [h, w, c] = image_dims(*e);
            cell_h = std::max(cell_h, h * zoom);
            cell_w = std::max(cell_w, w * zoom);
            columns =
                std::max(columns, std::min(options.max_images, e->points.size() / e->columns));
        }
        if (columns == 0) continue;
        const std::size_t width = options.gap + columns * (cell_w + options.gap);
        const std::size_t height = options.gap + rows.size() * (cell_h + options.gap);
        std::vector<std::uint8_t> rgb(width * height * 3, 255);
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const SampleEntry& e = *rows[r];
            const auto [h, w, c] = image_dims(e);
            const std::size_t n = std::min(options.max_images, e.points.size() / e.columns);
            for (std::size_t i = 0; i < n; ++i) {
                const double* pixels = &e.points[i * e.columns];
                const std::size_t top = options.gap + r * (cell_h + options.gap);
                const std::size_t left = options.gap + i * (cell_w + options.gap);
                for (std::size_t y = 0; y < h * zoom; ++y)
                    for (std::size_t x = 0; x < w * zoom; ++x) {
                        const double* p = pixels + ((y / zoom) * w + x / zoom) * c;
                        std::uint8_t* out = &rgb[((top + y) * width + left + x) * 3];
                        for (std::size_t k = 0; k < 3; ++k)
                            out[k] = pixel_byte(p[c == 3 ? k : 0], low, high);
                    }
            }
        }
        const std::string name = fmt::format("image-samples-{}", s + 1);
        const std::string png = encode_png_rgb(rgb, width, height);
        write_file_atomically((std::filesystem::path(fig_dir) / (name + ".png")).string(), png);
        files.push_back(name + ".png");
        // The same grid with the page's labels: the setting above, each row's name on its left.
        std::vector<std::string> labels;
        for (const SampleEntry* e : rows)
            labels.push_back(e->kind == "real" ? "real test data"
                                               : "generation " + std::to_string(e->generation));
        std::vector<double> centres;
        for (std::size_t r = 0; r < rows.size(); ++r)
            centres.push_back(static_cast<double>(options.gap + r * (cell_h + options.gap)) +
                              static_cast<double>(cell_h) / 2.0);
        write_file_atomically(
            (std::filesystem::path(fig_dir) / (name + ".svg")).string(),
            labelled_grid_svg(png, width, height, settings[s].setting, labels, centres));
        files.push_back(name + ".svg");
    }
    return files;
}

}  // namespace madlab
