// `madlab metrics REAL FAKE`: values in JSON against the library, and clear errors (exit 2).
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"
#include "madlab/core/rng.h"
#include "madlab/data/npy_reader.h"
#include "madlab/metrics/blas.h"
#include "madlab/metrics/frechet.h"
#include "madlab/metrics/kid.h"
#include "madlab/metrics/prdc.h"

namespace madlab {
namespace {

using testing::run_madlab;

namespace fs = std::filesystem;

Matrix points(Eigen::Index n, Eigen::Index d, std::uint64_t seed, double shift) {
    Rng rng(seed);
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = rng.normal() + shift;
    return x;
}

class MetricsCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("madlab_metrics_cli_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    void write_text(const std::string& name, const std::string& text) const {
        std::ofstream(path(name)) << text;
    }
    fs::path dir_;
};

// Which OpenBLAS kernels run does not depend on how a program was linked: this test program
// and the madlab binary (built with the neural families) link LibTorch, which loads OpenBLAS at
// their start, before madlab sets OPENBLAS_CORETYPE to the CPU's kernels (src/metrics/blas.cpp);
// both still run those kernels (a private copy of OpenBLAS where needed), so that the CLI, this
// program and the Python package compute the same bits (JsonValuesMatchTheLibrary; the Python
// tests) and no program falls back to generic kernels (Prescott, 0.3.21 on recent Xeons).
TEST_F(MetricsCli, TheCpusOpenBlasKernelsRunHowEverTheProgramWasLinked) {
    if (!blas_available()) GTEST_SKIP() << blas_description();
    const char* chosen = std::getenv("OPENBLAS_CORETYPE");
    if (chosen == nullptr) GTEST_SKIP() << "no kernels chosen for this CPU: " << blas_description();
    const std::string kernels = "(" + std::string(chosen) + " kernels)";
    EXPECT_NE(blas_description().find(kernels), std::string::npos) << blas_description();
    write_npy(path("real.npy"), points(50, 3, 1, 0.0));
    const auto r = run_madlab("metrics " + path("real.npy") + " " + path("real.npy") +
                              " -m frechet --format json --out " + path("out.json"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(testing::read_file(path("out.json")));
    EXPECT_EQ(j["blas"].get<std::string>(), blas_description());
}

TEST_F(MetricsCli, JsonValuesMatchTheLibrary) {
    const Matrix real = points(300, 4, 1, 0.0), fake = points(250, 4, 2, 0.3);
    write_npy(path("real.npy"), real);
    // The generated set as CSV with a header: both readers.
    std::string csv = "a,b,c,d\n";
    for (Eigen::Index i = 0; i < fake.rows(); ++i)
        csv += fmt::format("{},{},{},{}\n", fake(i, 0), fake(i, 1), fake(i, 2), fake(i, 3));
    write_text("fake.csv", csv);
    const auto r = run_madlab("metrics " + path("real.npy") + " " + path("fake.csv") +
                              " --k 3 --format json --threads 2 --kid-subsets 10 "
                              "--kid-subset-size 100 --out " +
                              path("out.json"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(testing::read_file(path("out.json")));
    // fmt's "{}" writes the shortest text that reads back to the same double: the CSV holds
    // exactly the generated points, so the values are the library's to the bit.
    const PrdcResult p = compute_prdc(real, fake, 3);
    EXPECT_EQ(j["metrics"]["precision"].get<double>(), p.precision);
    EXPECT_EQ(j["metrics"]["recall"].get<double>(), p.recall);
    EXPECT_EQ(j["metrics"]["density"].get<double>(), p.density);
    EXPECT_EQ(j["metrics"]["coverage"].get<double>(), p.coverage);
    EXPECT_NEAR(j["metrics"]["frechet"].get<double>(), frechet_distance(real, fake), 1e-12);
    KidOptions o;
    o.subsets = 10;
    o.subset_size = 100;
    const KidResult kid = compute_kid(real, fake, o);
    EXPECT_EQ(j["metrics"]["kid"].get<double>(), kid.kid);
    EXPECT_EQ(j["metrics"]["kid_std"].get<double>(), kid.kid_std);
    EXPECT_EQ(j["real"]["points"].get<int>(), 300);
    EXPECT_EQ(j["fake"]["points"].get<int>(), 250);
    EXPECT_EQ(j["dim"].get<int>(), 4);
}

TEST_F(MetricsCli, TableAndAChosenMetric) {
    write_npy(path("a.npy"), points(40, 2, 3, 0.0));
    write_npy(path("b.npy"), points(40, 2, 4, 0.0));
    const auto r = run_madlab("metrics " + path("a.npy") + " " + path("b.npy") + " -m frechet");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("frechet"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("precision"), std::string::npos) << r.output;
}

TEST_F(MetricsCli, ClearErrorsWithExitCode2) {
    write_npy(path("a.npy"), points(40, 2, 5, 0.0));
    write_npy(path("wide.npy"), points(40, 3, 6, 0.0));
    write_npy(path("few.npy"), points(5, 2, 7, 0.0));
    write_text("nan.csv", "1,2\n3,nan\n");
    write_text("ragged.csv", "1,2\n3,4\n5\n");
    write_text("x.txt", "1,2\n");
    struct Case {
        std::string args;
        std::string says;
    };
    const Case cases[] = {
        {path("a.npy") + " " + path("wide.npy"), "dimension mismatch"},
        {path("a.npy") + " " + path("few.npy") + " -m prdc", "lower --k"},
        {path("a.npy") + " " + path("nan.csv"), "line 2"},
        {path("a.npy") + " " + path("ragged.csv"), "line 3"},
        {path("a.npy") + " " + path("missing.npy"), "missing.npy"},
        {path("a.npy") + " " + path("x.txt"), "unknown extension"},
        {path("a.npy") + " " + path("a.npy") + " -m prdc,fid", "unknown metric 'fid'"},
        {path("a.npy"), "FAKE"},
    };
    for (const Case& c : cases) {
        const auto r = run_madlab("metrics " + c.args);
        EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
        EXPECT_NE(r.output.find(c.says), std::string::npos) << c.args << "\n" << r.output;
    }
}

}  // namespace
}  // namespace madlab
