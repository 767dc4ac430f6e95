#include "madlab/report/sample_html.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "madlab/report/charts.h"
#include "madlab/report/html_report.h"

namespace madlab {

namespace {

using RowHtml = std::function<std::string(const SampleEntry&)>;

// A section with one folded table per setting: the real data's row first, then one row per
// stored generation of the setting's first seed; `keep` picks the entries, `cells` draws a row.
std::string samples_section(const StudyFolder& folder, const std::string& id,
                            const std::string& title, const std::string& caption,
                            const std::string& real_label,
                            const std::function<bool(const SampleEntry&)>& keep,
                            const RowHtml& cells) {
    const std::vector<SettingSamples> settings = samples_by_setting(folder, keep);
    if (settings.empty()) return "";
    std::string out = fmt::format(
        "<section class=\"card samples-html\" id=\"section-{}\">\n<h2>{}</h2>\n<p "
        "class=\"caption\">{}</p>\n",
        id, html_escape(title), html_escape(caption));
    bool first = true;
    for (const auto& s : settings) {
        out += fmt::format("<details{}><summary>{}{}</summary>\n<table>\n", first ? " open" : "",
                           setting_swatch(folder, s.setting), html_escape(s.setting));
        first = false;
        const auto row = [&](const std::string& label, const SampleEntry& e) {
            out += "<tr><td class=\"gen\">" + html_escape(label) + "</td><td>" + cells(e) +
                   "</td></tr>\n";
        };
        if (s.real != nullptr) row(real_label, *s.real);
        for (const auto& [g, e] : s.model) row("generation " + std::to_string(g), *e);
        out += "</table>\n</details>\n";
    }
    return out + "</section>\n";
}

void put_le(std::string& out, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// Height, width and channels of an image entry's shape ([h, w] or [h, w, c], c = 1 or 3), or
// zeros when it is none of those or does not match the columns.
}  // namespace

std::string base64(const std::string& bytes) {
    static constexpr char kDigits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::uint32_t b0 = static_cast<unsigned char>(bytes[i]);
        const std::uint32_t b1 =
            i + 1 < bytes.size() ? static_cast<unsigned char>(bytes[i + 1]) : 0;
        const std::uint32_t b2 =
            i + 2 < bytes.size() ? static_cast<unsigned char>(bytes[i + 2]) : 0;
        const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
        out += kDigits[(v >> 18) & 63];
        out += kDigits[(v >> 12) & 63];
        out += i + 1 < bytes.size() ? kDigits[(v >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? kDigits[v & 63] : '=';
    }
    return out;
}

std::vector<SettingSamples> samples_by_setting(
    const StudyFolder& folder, const std::function<bool(const SampleEntry&)>& keep) {
    std::vector<SettingSamples> out;
    for (const auto& e : folder.samples) {
        if (!keep(e)) continue;
        if (std::none_of(out.begin(), out.end(),
                         [&](const SettingSamples& s) { return s.setting == e.setting; }))
            out.push_back({e.setting, nullptr, {}});
    }
    for (auto& s : out) {
        std::uint64_t seed = UINT64_MAX;
        for (const auto& e : folder.samples)
            if (e.setting == s.setting && keep(e)) seed = std::min(seed, e.seed);
        for (const auto& e : folder.samples) {
            if (e.setting != s.setting || e.seed != seed || !keep(e)) continue;
            if (e.kind == "real")
                s.real = &e;
            else
                s.model[e.generation] = &e;
        }
    }
    return out;
}

std::array<std::size_t, 3> image_dims(const SampleEntry& e) {
    const auto& s = e.shape;
    std::array<std::size_t, 3> d = {0, 0, 0};
    if (s.size() == 2) d = {s[0], s[1], 1};
    if (s.size() == 3 && (s[2] == 1 || s[2] == 3)) d = {s[0], s[1], s[2]};
    if (d[0] * d[1] * d[2] != e.columns || e.columns == 0) return {0, 0, 0};
    return d;
}

std::pair<double, double> real_image_range(const StudyFolder& folder) {
    double low = INFINITY;
    double high = -INFINITY;
    for (const auto& e : folder.samples)
        if (e.image && e.kind == "real")
            for (double v : e.points)
                if (std::isfinite(v)) {
                    low = std::min(low, v);
                    high = std::max(high, v);
                }
    if (!(low < high)) return {0.0, 1.0};
    return {low, high};
}

unsigned char pixel_byte(double value, double low, double high) {
    if (!std::isfinite(value) || !(high > low)) return 0;
    return static_cast<unsigned char>(
        std::clamp(std::lround((value - low) * (255.0 / (high - low))), 0L, 255L));
}

std::string setting_swatch(const StudyFolder& folder, const std::string& setting) {
    const auto colors = setting_colors(folder.settings.size());
    for (std::size_t i = 0; i < folder.settings.size(); ++i)
        if (folder.settings[i] == setting)
            return fmt::format("<span class=\"swatch\" style=\"background:{}\"></span>", colors[i]);
    return "";
}

std::string text_samples_html(const StudyFolder& folder, std::size_t max_lines) {
    return samples_section(
        folder, "text-samples", "Text samples, generation by generation",
        "The first lines each generation's model wrote (first seed of each setting); the real "
        "test text is at the top. Watch the vocabulary narrow and phrases repeat.",
        "real text", [](const SampleEntry& e) { return !e.lines.empty(); },
        [max_lines](const SampleEntry& e) {
            std::string cells;
            for (std::size_t i = 0; i < e.lines.size() && i < max_lines; ++i)
                cells += "<div class=\"line\">" + html_escape(e.lines[i]) + "</div>";
            return cells;
        });
}

std::string image_samples_html(const StudyFolder& folder, std::size_t max_images) {
    // One grey scale for every image: the real images' range.
    const std::pair<double, double> range = real_image_range(folder);
    const double low = range.first;
    const double high = range.second;
    return samples_section(
        folder, "image-samples", "Image samples, generation by generation",
        "Images each generation's model drew (first seed of each setting), under real test "
        "images; one grey scale for all (the real images' range). Watch the variety shrink and "
        "the strokes blur.",
        "real images", is_drawable_image, [low, high, max_images](const SampleEntry& e) {
            const auto [h, w, c] = image_dims(e);
            std::string cells;
            const std::size_t n = e.points.size() / e.columns;
            for (std::size_t i = 0; i < n && i < max_images; ++i)
                cells += fmt::format(
                    "<img class=\"sample\" width=\"{}\" height=\"{}\" alt=\"\" src=\"{}\">", w * 2,
                    h * 2, bmp_data_url(&e.points[i * e.columns], h, w, c, low, high));
            return cells;
        });
}

bool is_drawable_image(const SampleEntry& e) { return e.image && image_dims(e)[0] > 0; }

std::string bmp_data_url(const double* pixels, std::size_t height, std::size_t width,
                         std::size_t channels, double low, double high) {
    const std::size_t row_bytes = (width * 3 + 3) / 4 * 4;
    const std::size_t data_bytes = row_bytes * height;
    std::string bmp = "BM";
    put_le(bmp, static_cast<std::uint32_t>(54 + data_bytes), 4);
    put_le(bmp, 0, 4);
    put_le(bmp, 54, 4);  // pixel data offset
    put_le(bmp, 40, 4);  // BITMAPINFOHEADER
    put_le(bmp, static_cast<std::uint32_t>(width), 4);
    put_le(bmp, static_cast<std::uint32_t>(height), 4);  // positive: rows bottom-up
    put_le(bmp, 1, 2);
    put_le(bmp, 24, 2);
    put_le(bmp, 0, 4);  // no compression
    put_le(bmp, static_cast<std::uint32_t>(data_bytes), 4);
    put_le(bmp, 2835, 4);
    put_le(bmp, 2835, 4);
    put_le(bmp, 0, 4);
    put_le(bmp, 0, 4);
    const auto byte = [&](double v) { return static_cast<char>(pixel_byte(v, low, high)); };
    for (std::size_t r = height; r-- > 0;) {
        std::size_t written = 0;
        for (std::size_t x = 0; x < width; ++x) {
            const double* p = pixels + (r * width + x) * channels;
            // BMP stores blue, green, red.
            const char red = byte(p[0]);
            const char green = channels == 3 ? byte(p[1]) : red;
            const char blue = channels == 3 ? byte(p[2]) : red;
            bmp += blue;
            bmp += green;
            bmp += red;
            written += 3;
        }
        bmp.append(row_bytes - written, '\0');
    }
    return "data:image/bmp;base64," + base64(bmp);
}

}  // namespace madlab
