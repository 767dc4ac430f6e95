// Image studies through `madlab run`: samples.json carries the image shape; a malformed image
// file stops the run before anything is written, with exit code 2 and a message naming it.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run_madlab;

fs::path fresh_dir(const std::string& name) {
    const fs::path dir =
        fs::temp_directory_path() / ("madlab_image_cli_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::string study(const fs::path& dir, const std::string& source) {
    const std::string path = (dir / "study.toml").string();
    std::ofstream(path) << "[study]\nname = \"img\"\nseeds = 1\ngenerations = 1\nsample_points = "
                           "2\n[source]\n"
                        << source
                        << "\n[model]\nfamily = \"gmm\"\ncomponents = 2\npca_components = 5\n"
                           "[schedule]\nn = 200\n[metrics]\nlist = [\"frechet\", \"prdc\"]\n"
                           "pca_components = 8\nn_eval = 100\n";
    return path;
}

TEST(ImageCli, DigitsStudyKeepsImageShapes) {
    const fs::path dir = fresh_dir("digits");
    const auto r = run_madlab("run " +
                              study(dir, "kind = \"digits\"\npath = \"" MADLAB_SHARED_DIR
                                         "/data/tabular/digits.csv.gz\"\nlabels = [0, 1, 2]") +
                              " -q --no-db --out " + (dir / "out").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string samples = read_file(dir / "out" / "samples.json");
    EXPECT_NE(samples.find("\"shape\":[8,8]"), std::string::npos) << samples.substr(0, 300);
    const std::string config = read_file(dir / "out" / "config.toml");
    EXPECT_NE(config.find("pca_components = 5"), std::string::npos) << config;
    EXPECT_NE(config.find("labels = [0, 1, 2]"), std::string::npos) << config;
    // The report shows the kept samples as images: a grid per generation (0 and 1) under the
    // real images, each image an inline BMP (no file or network request).
    const std::string html = read_file(dir / "out" / "report.html");
    EXPECT_NE(html.find("id=\"section-image-samples\""), std::string::npos);
    std::size_t images = 0;
    for (std::size_t at = html.find("data:image/bmp;base64,"); at != std::string::npos;
         at = html.find("data:image/bmp;base64,", at + 1))
        ++images;
    EXPECT_GE(images, 3u * 2u);  // real, generation 0 and 1, sample_points = 2 each
    // For papers: the same grid as a PNG file per setting.
    const auto figures = run_madlab("report " + (dir / "out").string() + " --figures " +
                                    (dir / "fig").string() + " --svg-only");
    ASSERT_EQ(figures.exit_code, 0) << figures.output;
    const std::string png = read_file(dir / "fig" / "image-samples-1.png");
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    fs::remove_all(dir);
}

TEST(ImageCli, MalformedImageFileIsAnInputError) {
    const fs::path dir = fresh_dir("bad");
    const std::string bad = (dir / "bad-images-idx3-ubyte").string();
    std::ofstream(bad, std::ios::binary) << std::string("\0\0\x08\x03\0\0\0\x05\0\0\0\x1c", 12);
    const auto r = run_madlab("run " + study(dir, "kind = \"idx\"\npath = \"" + bad + "\"") +
                              " -q --out " + (dir / "out").string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(bad), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("truncated"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "out" / "records.csv"));
    fs::remove_all(dir);
}

}  // namespace
}  // namespace madlab
