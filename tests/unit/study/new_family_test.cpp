// A new model family (and a new metric) in one file, with no edit anywhere else: a toy categorical
// distribution over the integers 0..K-1 (one column of data), refitted by its empirical frequencies
// (named toy-categorical: madlab has a real categorical family, models/categorical.h)
// with additive smoothing alpha. It registers itself below with its keys, and then runs through
// madlab like a built-in family: the study reader checks its keys (types, ranges, "does not
// apply"), config.toml writes them back, the study runner runs it under a loop design and records
// what its fit reports, and a resumed run ends with the numbers of an uninterrupted one.
//
// The theory the assertions use: with alpha = 0 a category the model gives probability 0 is never
// sampled again, so under fully-synthetic (replace) the number of categories kept can only fall
// (zero is absorbing, SCIENCE.md section 4); generation 0 fits real data, so with 1000 draws
// from 4 categories of probability >= 0.1 every category is seen (the chance one is missed is at
// most 4 * 0.9^1000 < 1e-40).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/metrics/metric_registry.h"
#include "madlab/models/model_registry.h"
#include "madlab/store/record_files.h"
#include "madlab/store/results_db.h"
#include "madlab/study/resolved_config.h"
#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;

class CategoricalModel : public ContinuousModel {
public:
    CategoricalModel(int categories, double alpha) : categories_(categories), alpha_(alpha) {}
    std::string family() const override { return "toy-categorical"; }
    std::unique_ptr<ContinuousModel> clone() const override {
        return std::make_unique<CategoricalModel>(*this);
    }

protected:
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& /*context*/) override {
        std::vector<double> counts(static_cast<std::size_t>(categories_), alpha_);
        for (Eigen::Index i = 0; i < train.rows(); ++i) {
            const double v = train(i, 0);
            if (v != std::floor(v) || v < 0 || v >= categories_)
                throw DataError("categorical: a value outside 0..model.categories - 1");
            counts[static_cast<std::size_t>(v)] += 1.0;
        }
        double total = 0.0;
        for (double c : counts) total += c;
        p_.clear();
        int kept = 0;
        for (double c : counts) {
            p_.push_back(c / total);
            kept += c > 0.0;
        }
        FitInfo info;
        info.values.emplace_back("categories_kept", kept);
        return info;
    }
    // Inverse-CDF draws; the bias is ignored (lambda = 1 is the only setting used here).
    Matrix do_sample(std::size_t n, double /*bias*/, Rng& rng,
                     std::string_view /*purpose*/) const override {
        Matrix out(static_cast<Eigen::Index>(n), 1);
        for (Eigen::Index i = 0; i < out.rows(); ++i) {
            double u = rng.uniform();
            int k = 0;
            while (k + 1 < categories_ && u >= p_[static_cast<std::size_t>(k)])
                u -= p_[static_cast<std::size_t>(k++)];
            out(i, 0) = k;
        }
        return out;
    }
    // Mean negative log-probability of the held-out values (nats); left out when one of them
    // has probability 0.
    NamedValues do_score_held_out(const Matrix& real) const override {
        double sum = 0.0;
        for (Eigen::Index i = 0; i < real.rows(); ++i)
            sum -= std::log(p_[static_cast<std::size_t>(real(i, 0))]);
        return nll_score(sum / static_cast<double>(real.rows()));
    }

private:
    int categories_;
    double alpha_;
    std::vector<double> p_;
};

const ModelFamilyRegistrar kCategoricalFamily({
    .name = "toy-categorical",
    .help = "categorical distribution over 0..K-1, refitted by its empirical frequencies (a test's "
            "toy)",
    .keys = {{.name = "categories",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{10},
              .min = 2,
              .max = 1000,
              .help = "K, the number of categories"},
             {.name = "alpha",
              .type = ConfigKey::Type::kDouble,
              .default_value = 0.0,
              .help = "additive smoothing: a pseudo-count added to every category"}},
    .make_vectors =
        [](const Params& p) {
            return std::unique_ptr<ContinuousModel>(std::make_unique<CategoricalModel>(
                static_cast<int>(p.get_int("categories")), p.get_double("alpha")));
        },
});

// A metric in the same file, registered the same way: the mean category of the samples, against
// that of the real test set (the gap widens as a fully-synthetic chain drifts).
class CategoryMeanMetric : public Metric {
public:
    std::string name() const override { return "category_mean"; }
    MetricValues compute(const MetricInput& input) const override {
        return {{"category_mean_gap", input.samples.col(0).mean() - input.real_test.col(0).mean()}};
    }
};

const MetricRegistrar kCategoryMeanMetric({
    .name = "category_mean",
    .help = "the mean category of the samples minus that of the test set",
    .make = [](const Params&, int) { return std::unique_ptr<Metric>(new CategoryMeanMetric()); },
});

// 2000 draws of a categorical over 0..3 with probabilities 0.4, 0.3, 0.2, 0.1, as a CSV file.
std::string write_categories_csv(const fs::path& dir) {
    const fs::path path = dir / "categories.csv";
    std::ofstream out(path);
    out << "category\n";
    Rng rng(11);
    for (int i = 0; i < 2000; ++i) {
        const double u = rng.uniform();
        out << (u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.9 ? 2 : 3) << "\n";
    }
    return path.string();
}

std::string study_toml(const std::string& csv, const std::string& model_keys) {
    return "[study]\nname = \"categorical\"\nseeds = 2\ngenerations = 6\n"
           "[source]\nkind = \"csv\"\npath = \"" +
           csv + "\"\ntest_fraction = 0.25\n[model]\nfamily = \"toy-categorical\"\n" + model_keys +
           "[schedule]\nn = 1000\n[metrics]\nlist = [\"nll\", \"category_mean\"]\nn_eval = "
           "200\nn_test = 400\n"
           "[[settings]]\nname = \"replace\"\n"
           "[[settings]]\nname = \"fresh\"\nschedule.preset = \"fresh-data\"\n";
}

class NewFamily : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("madlab-new-family-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        csv_ = write_categories_csv(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
    std::string csv_;
};

std::map<std::string, std::vector<double>> series(const std::vector<Record>& records,
                                                  const std::string& metric, std::uint64_t seed) {
    std::map<std::string, std::vector<double>> out;
    for (const Record& r : records)
        if (r.metric == metric && r.seed == seed) out[r.setting].push_back(r.value);
    return out;
}

TEST_F(NewFamily, RunsThroughTheStudyRunnerWithItsKeys) {
    const StudyConfig study = parse_study(study_toml(csv_, "categories = 4\n"), "cat.toml");
    EXPECT_EQ(study.base.model.params.get_int("categories"), 4);
    EXPECT_EQ(study.base.model.params.get_double("alpha"), 0.0);  // its default
    RunOptions options;
    options.progress = false;
    const StudyResult result = run_study(study, options);
    for (std::uint64_t seed : {0u, 1u}) {
        const auto kept = series(result.records, "categories_kept", seed);
        ASSERT_EQ(kept.at("replace").size(), 7u);
        EXPECT_EQ(kept.at("replace")[0], 4.0);
        for (std::size_t g = 1; g < 7; ++g)
            EXPECT_LE(kept.at("replace")[g], kept.at("replace")[g - 1]) << "generation " << g;
        // Fresh real data brings every category back each generation.
        for (double k : kept.at("fresh")) EXPECT_EQ(k, 4.0);
        // The held-out score is defined while every category is kept.
        EXPECT_EQ(series(result.records, "nll", seed).at("fresh").size(), 7u);
        // The metric registered in this file is recorded every generation; at generation 0
        // the model is fitted on real data, so the gap is sampling noise: the mean of 200
        // categorical draws (sd 1.0) against 400 held-out ones, within 5 standard errors.
        const auto gap = series(result.records, "category_mean_gap", seed);
        ASSERT_EQ(gap.at("replace").size(), 7u);
        EXPECT_LT(std::abs(gap.at("replace")[0]), 5.0 * std::sqrt(1.0 / 200 + 1.0 / 400));
    }
}

TEST_F(NewFamily, ItsKeysAreCheckedAndWrittenBack) {
    const auto error_of = [&](const std::string& keys) {
        try {
            parse_study(study_toml(csv_, keys), "cat.toml");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    std::string e = error_of("categories = 1\n");
    EXPECT_NE(e.find("model.categories = 1 is out of range; it must be in [2, 1000]"),
              std::string::npos)
        << e;
    e = error_of("components = 3\n");
    EXPECT_NE(e.find("model.components does not apply to model.family = \"toy-categorical\""),
              std::string::npos)
        << e;
    e = error_of("categorys = 3\n");
    EXPECT_NE(e.find("model.categories"), std::string::npos) << e;  // did you mean
    const StudyConfig first = parse_study(study_toml(csv_, "alpha = 0.5\n"), "cat.toml");
    const std::string toml = to_toml(first);
    EXPECT_NE(toml.find("alpha = 0.5"), std::string::npos) << toml;
    EXPECT_NE(toml.find("categories = 10"), std::string::npos) << toml;
    EXPECT_EQ(to_json(parse_study(toml, "again.toml")), to_json(first));
}

// A run stopped after generation 2 (its database holds generations 0..2 and each chain's
// checkpoint) and resumed ends with the records of an uninterrupted run.
TEST_F(NewFamily, AResumedRunEndsWithTheUninterruptedRecords) {
    const StudyConfig study = parse_study(study_toml(csv_, "categories = 4\n"), "cat.toml");
    RunOptions options;
    options.progress = false;
    const std::string expected = records_to_csv(run_study(study, options).records);

    const std::string path = (dir_ / "resume.sqlite").string();
    auto db = ResultsDb::open(path, ResultsDb::Mode::kReadWrite);
    const StudyIds ids = register_study(*db, study);
    StudyConfig stopped = study;
    stopped.generations = 2;
    run_study(stopped, options, db.get(), &ids);
    RecordFilter filter;
    filter.study_id = ids.study_id;
    ASSERT_EQ(db->records(filter).size(), run_study(stopped, options).records.size());
    const StudyResult resumed = run_study(study, options, db.get(), &ids);
    EXPECT_EQ(records_to_csv(resumed.records), expected);
}

}  // namespace
}  // namespace madlab
