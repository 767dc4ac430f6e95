#include "madlab/report/image_grid.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/report/sample_html.h"
#include "report_fixture.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using ImageGridTest = testing::ReportFolder;

std::uint32_t be32(const std::string& b, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
    return v;
}

// The chunks of a PNG file, each checked against its CRC-32: type -> data.
std::vector<std::pair<std::string, std::string>> chunks(const std::string& png) {
    std::vector<std::pair<std::string, std::string>> out;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    for (std::size_t at = 8; at + 12 <= png.size();) {
        const std::uint32_t length = be32(png, at);
        const std::string body = png.substr(at + 4, 4 + length);
        EXPECT_EQ(be32(png, at + 8 + length),
                  crc32(0L, reinterpret_cast<const Bytef*>(body.data()), body.size()))
            << body.substr(0, 4);
        out.emplace_back(body.substr(0, 4), body.substr(4));
        at += 12 + length;
    }
    return out;
}

// The decompressed IDAT of a PNG of `rows` scanlines of `row_bytes` bytes (filter byte first).
std::string pixels_of(const std::string& idat, std::size_t rows, std::size_t row_bytes) {
    std::string raw(rows * (row_bytes + 1), '\0');
    uLongf size = raw.size();
    EXPECT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &size,
                         reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
              Z_OK);
    EXPECT_EQ(size, raw.size());
    return raw;
}

TEST(Png, HeaderChunksAndScanlinesDecodeBack) {
    // 3 x 2 pixels: red, green, blue / black, grey, white.
    const std::vector<std::uint8_t> rgb = {255, 0, 0, 0,   255, 0,   0,   0,   255,
                                           0,   0, 0, 128, 128, 128, 255, 255, 255};
    const auto c = chunks(encode_png_rgb(rgb, 3, 2));
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0].first, "IHDR");
    EXPECT_EQ(be32(c[0].second, 0), 3u);  // width
    EXPECT_EQ(be32(c[0].second, 4), 2u);  // height
    EXPECT_EQ(c[0].second.substr(8), std::string("\x08\x02\0\0\0", 5));
    EXPECT_EQ(c[1].first, "IDAT");
    EXPECT_EQ(c[2].first, "IEND");
    const std::string raw = pixels_of(c[1].second, 2, 9);
    EXPECT_EQ(raw[0], '\0');  // filter none
    EXPECT_EQ(std::string(raw.begin() + 1, raw.begin() + 10),
              std::string(rgb.begin(), rgb.begin() + 9));
    EXPECT_EQ(raw[10], '\0');
    EXPECT_EQ(std::string(raw.begin() + 11, raw.end()), std::string(rgb.begin() + 9, rgb.end()));
    EXPECT_THROW(encode_png_rgb(rgb, 4, 2), Error);
}

TEST_F(ImageGridTest, OneGridPerSettingRealRowFirst) {
    const std::string dir = fixture("run");
    // Real row of 3 images, generations 1 and 3 (generation 2's shape does not match).
    write(fs::path(dir) / "samples.json", testing::kImageSamplesJson);
    const StudyFolder folder = read_study_folder(dir);
    const fs::path figures = fs::path(dir) / "figures";
    ImageGridOptions options;
    options.max_images = 2;
    options.zoom = 1;
    options.gap = 1;
    const auto files = write_image_grids(folder, figures.string(), options);
    ASSERT_EQ(files, (std::vector<std::string>{"image-samples-1.png", "image-samples-1.svg"}));
    const auto c = chunks(read(figures / files[0]));
    // 2 columns of 2-pixel images with 1-pixel gaps: 1 + 2 x 3 = 7 wide; 3 rows: 10 high.
    ASSERT_GE(c.size(), 2u);
    const std::uint32_t width = be32(c[0].second, 0), height = be32(c[0].second, 4);
    EXPECT_EQ(width, 7u);
    EXPECT_EQ(height, 10u);
    const std::string raw = pixels_of(c[1].second, height, width * 3);
    const auto grey = [&](std::size_t y, std::size_t x) {
        return static_cast<unsigned char>(raw[y * (width * 3 + 1) + 1 + x * 3]);
    };
    // Row 0 (y = 1..2): real image 0 = [[0, 1], [1, 0]] at x = 1..2, image 1 at x = 4..5.
    EXPECT_EQ(grey(1, 1), 0);
    EXPECT_EQ(grey(1, 2), 255);
    EXPECT_EQ(grey(2, 1), 255);
    EXPECT_EQ(grey(1, 4), 255);  // image 1 = [[1, 1], [0, 0]]
    EXPECT_EQ(grey(2, 4), 0);
    // Row 1 (y = 4..5) is generation 1, sorted before generation 3: its first pixel 0.2.
    EXPECT_EQ(grey(4, 1), 51);
    EXPECT_EQ(grey(4, 4), 255);  // no second image at generation 1: background
    // Row 2 (y = 7..8): generation 3, image 0 = [[0, 0.5], [0.5, 0]], image 1 all white.
    EXPECT_EQ(grey(7, 1), 0);
    EXPECT_EQ(grey(7, 2), 128);  // 0.5 x 255 = 127.5, rounded half away from zero
    EXPECT_EQ(grey(8, 4), 255);
    EXPECT_EQ(grey(0, 0), 255);  // gaps are white
    EXPECT_EQ(grey(3, 1), 255);
    // The labelled SVG: the setting, one label per row centred on it, and the same PNG.
    const std::string svg = read(figures / files[1]);
    EXPECT_NE(svg.find(">fresh-data</text>"), std::string::npos) << svg;
    // Rows of 2 pixels from y = 1, 4 and 7 (1-pixel gaps): centres 2, 5 and 8, below the title.
    for (const auto& [label, centre] : std::vector<std::pair<std::string, double>>{
             {"real test data", 2.0}, {"generation 1", 5.0}, {"generation 3", 8.0}})
        EXPECT_NE(svg.find(fmt::format("y=\"{}\" font-size=\"12\" text-anchor=\"end\" "
                                       "dominant-baseline=\"middle\">{}</text>",
                                       kTitleHeight + centre, label)),
                  std::string::npos)
            << label << "\n"
            << svg;
    EXPECT_NE(svg.find("base64," + base64(read(figures / files[0])) + "\""), std::string::npos);
    // Text from the folder stays text.
    EXPECT_NE(labelled_grid_svg("x", 1, 1, "<b>", {"a&b"}, {0.5}).find("&lt;b&gt;"),
              std::string::npos);
    // A folder without images writes nothing.
    write(fs::path(dir) / "samples.json", R"({"samples": []})");
    EXPECT_TRUE(write_image_grids(read_study_folder(dir), (figures / "none").string()).empty());
}

}  // namespace
}  // namespace madlab
