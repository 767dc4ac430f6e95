#pragma once
// The report tests' fixtures: hand-made output folders under tests/unit/report/fixtures (a
// two-setting run with samples, a threshold and a decompose folder), copied to a fresh
// temporary folder per test so that a test may change or delete files.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "madlab/report/charts.h"

namespace madlab::testing {

// samples.json of an image study: 2 x 2 images in [0, 1], one setting: 3 real images,
// generation 3 (2 images) stored before generation 1 (1 image), and generation 2 with a 3 x 3
// shape that does not match its 4 columns (left out everywhere).
inline const char* const kImageSamplesJson = R"({"samples": [
    {"setting": "fresh-data", "seed": 0, "generation": 0, "kind": "real", "columns": 4,
     "shape": [2, 2], "points": [[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]]},
    {"setting": "fresh-data", "seed": 0, "generation": 3, "kind": "model", "columns": 4,
     "shape": [2, 2], "points": [[0, 0.5, 0.5, 0], [1, 1, 1, 1]]},
    {"setting": "fresh-data", "seed": 0, "generation": 1, "kind": "model", "columns": 4,
     "shape": [2, 2], "points": [[0.2, 0.5, 0.5, 0]]},
    {"setting": "fresh-data", "seed": 0, "generation": 2, "kind": "model", "columns": 4,
     "shape": [3, 3], "points": [[0, 0.5, 0.5, 0]]}]})";

class ReportFolder : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        root_ = std::filesystem::temp_directory_path() /
                (std::string("madlab_report_") + info->test_suite_name() + "_" + info->name());
        std::filesystem::remove_all(root_);
        std::filesystem::create_directories(root_);
    }
    void TearDown() override { std::filesystem::remove_all(root_); }

    // A copy of fixtures/<name>; returns its path.
    std::string fixture(const std::string& name) {
        const auto source =
            std::filesystem::path(MADLAB_SOURCE_DIR) / "tests/unit/report/fixtures" / name;
        const auto target = root_ / name;
        std::filesystem::copy(source, target, std::filesystem::copy_options::recursive);
        return target.string();
    }

    static void write(const std::filesystem::path& path, const std::string& text) {
        std::ofstream(path, std::ios::binary) << text;
    }

    static std::string read(const std::filesystem::path& path) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }

    std::filesystem::path root_;
};

// The view called `id` among `views`, or nullptr.
inline const ReportView* find_view(const std::vector<ReportView>& views, const std::string& id) {
    for (const auto& v : views)
        if (v.id == id) return &v;
    return nullptr;
}

}  // namespace madlab::testing
