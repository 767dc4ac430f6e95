#pragma once
// The report tests' fixtures: hand-made output folders under tests/unit/report/fixtures (a
// two-setting run with samples, a threshold and a decompose folder), copied to a fresh
// temporary folder per test so that a test may change or delete files.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace madlab::testing {

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

}  // namespace madlab::testing
