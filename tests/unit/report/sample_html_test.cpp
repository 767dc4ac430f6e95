#include "madlab/report/sample_html.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "madlab/report/charts.h"
#include "report_fixture.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using SampleHtmlTest = testing::ReportFolder;

// The bytes of a base64 text (no line breaks).
std::string unbase64(const std::string& text) {
    const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned value = 0;
    int bits = 0;
    for (const char c : text) {
        if (c == '=') break;
        value = (value << 6) | static_cast<unsigned>(digits.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((value >> bits) & 0xff);
        }
    }
    return out;
}

unsigned le(const std::string& b, std::size_t at, int bytes) {
    unsigned v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
    return v;
}

TEST(BmpDataUrl, GreyPixelsBottomUpWithPaddedRows) {
    // 2 rows x 2 columns, row-major: top row 0, 1; bottom row 0.5, 2 (clamped to white).
    const double pixels[] = {0.0, 1.0, 0.5, 2.0};
    const std::string url = bmp_data_url(pixels, 2, 2, 1, 0.0, 1.0);
    const std::string prefix = "data:image/bmp;base64,";
    ASSERT_EQ(url.substr(0, prefix.size()), prefix);
    const std::string bmp = unbase64(url.substr(prefix.size()));
    ASSERT_EQ(bmp.size(), 54u + 2u * 8u);  // rows of 6 bytes padded to 8
    EXPECT_EQ(bmp.substr(0, 2), "BM");
    EXPECT_EQ(le(bmp, 2, 4), bmp.size());
    EXPECT_EQ(le(bmp, 18, 4), 2u);  // width
    EXPECT_EQ(le(bmp, 22, 4), 2u);  // height
    EXPECT_EQ(le(bmp, 28, 2), 24u);
    // The first stored row is the bottom one: 0.5 -> 128 (grey), 2 -> 255.
    EXPECT_EQ(static_cast<unsigned char>(bmp[54]), 128);
    EXPECT_EQ(static_cast<unsigned char>(bmp[57]), 255);
    // Then the top row: black, white.
    EXPECT_EQ(static_cast<unsigned char>(bmp[62]), 0);
    EXPECT_EQ(static_cast<unsigned char>(bmp[65]), 255);
}

TEST(BmpDataUrl, ColourChannelsAreStoredBlueGreenRed) {
    const double pixels[] = {1.0, 0.0, 0.0};  // one red pixel
    const std::string bmp = unbase64(bmp_data_url(pixels, 1, 1, 3, 0.0, 1.0)
                                         .substr(std::string("data:image/bmp;base64,").size()));
    EXPECT_EQ(static_cast<unsigned char>(bmp[54]), 0);    // blue
    EXPECT_EQ(static_cast<unsigned char>(bmp[55]), 0);    // green
    EXPECT_EQ(static_cast<unsigned char>(bmp[56]), 255);  // red
}

TEST_F(SampleHtmlTest, ImagesPerGenerationUnderTheRealOnes) {
    const std::string dir = fixture("run");
    write(fs::path(dir) / "samples.json", testing::kImageSamplesJson);
    const StudyFolder folder = read_study_folder(dir);
    const std::string html = image_samples_html(folder, 2);
    // real (3 images, 2 shown), generation 1 (1), generation 3 (2); the 3x3 shape does not
    // match 4 columns and is left out.
    std::size_t images = 0;
    for (auto at = html.find("<img"); at != std::string::npos; at = html.find("<img", at + 1))
        ++images;
    EXPECT_EQ(images, 2u + 1u + 2u);
    const auto real = html.find("real images");
    const auto g1 = html.find("generation 1<");
    const auto g3 = html.find("generation 3<");
    ASSERT_NE(real, std::string::npos);
    EXPECT_LT(real, g1);
    EXPECT_LT(g1, g3);
    EXPECT_EQ(html.find("generation 2<"), std::string::npos);
    EXPECT_NE(html.find("id=\"section-image-samples\""), std::string::npos);
    // Images are not drawn as points, nor as text.
    for (const auto& view : report_views(folder, {})) EXPECT_NE(view.id, "samples");
    EXPECT_EQ(text_samples_html(folder, 5), "");
    fs::remove(fs::path(dir) / "samples.json");
    EXPECT_EQ(image_samples_html(read_study_folder(dir), 2), "");
}

}  // namespace
}  // namespace madlab
