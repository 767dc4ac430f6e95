#include "madlab/store/generation_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "madlab/core/error.h"

namespace madlab {
namespace {

class GenerationWriterTest : public ::testing::Test {
protected:
    void SetUp() override {
        // One folder per test: ctest runs the tests of this fixture in parallel processes.
        dir_ = std::filesystem::temp_directory_path() /
               ("madlab_generation_writer_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        db_ = ResultsDb::open((dir_ / "r.sqlite").string(), ResultsDb::Mode::kReadWrite);
        StudyRow study;
        study.name = "s";
        const auto study_id = db_->add_study(study);
        SettingRow setting;
        setting.study_id = study_id;
        setting.name = "a";
        const auto setting_id = db_->add_setting(setting);
        for (std::uint64_t seed = 0; seed < 4; ++seed)
            chains_.push_back(db_->add_chain(setting_id, seed));
    }
    void TearDown() override {
        db_.reset();
        std::filesystem::remove_all(dir_);
    }
    std::filesystem::path dir_;
    std::unique_ptr<ResultsDb> db_;
    std::vector<std::int64_t> chains_;
};

TEST_F(GenerationWriterTest, CommitsEveryGenerationFromManyThreadsInOrder) {
    {
        GenerationWriter writer(*db_, 3);  // a tiny queue: producers wait for the writer
        std::vector<std::thread> threads;
        for (std::size_t c = 0; c < chains_.size(); ++c)
            threads.emplace_back([&, c] {
                for (int g = 0; g < 50; ++g)
                    writer.push(
                        {chains_[c], g, {{"m", 100.0 * c + g}}, "state" + std::to_string(g)});
            });
        for (auto& t : threads) t.join();
        writer.finish();
    }
    const auto records = db_->records({});
    ASSERT_EQ(records.size(), 4u * 50u);
    for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(records[i].seed, i / 50);
        EXPECT_EQ(records[i].generation, static_cast<int>(i % 50));
        EXPECT_EQ(records[i].value, 100.0 * (i / 50) + i % 50);
    }
    for (auto chain : chains_) EXPECT_EQ(db_->checkpoint(chain), "state49");
}

TEST_F(GenerationWriterTest, PushAllCommitsItsGenerationsTogether) {
    // As an MPI worker's message arrives at rank 0: five generations of a chain with the
    // checkpoint on the last only. A transaction that ended inside such a group would leave the
    // chain with an empty checkpoint; a reader watches for that while the writer commits.
    std::atomic<bool> done{false};
    std::atomic<int> empty_seen{0};
    std::thread reader([&] {
        while (!done)
            for (const auto& chain : db_->chains(db_->settings(db_->studies()[0].id)[0].id))
                if (chain.last_generation >= 0 && db_->checkpoint(chain.id) == "") ++empty_seen;
    });
    {
        GenerationWriter writer(*db_, 2);
        std::vector<std::thread> threads;
        for (std::size_t c = 0; c < chains_.size(); ++c)
            threads.emplace_back([&, c] {
                for (int g = 0; g < 200; g += 5) {
                    std::vector<GenerationCommit> group;
                    for (int k = g; k < g + 5; ++k)
                        group.push_back({chains_[c],
                                         k,
                                         {{"m", 1000.0 * c + k}},
                                         k == g + 4 ? "state" + std::to_string(k) : ""});
                    writer.push_all(std::move(group));
                }
            });
        for (auto& t : threads) t.join();
        writer.finish();
    }
    done = true;
    reader.join();
    EXPECT_EQ(empty_seen, 0);
    const auto records = db_->records({});
    ASSERT_EQ(records.size(), 4u * 200u);
    for (std::size_t i = 0; i < records.size(); ++i)
        EXPECT_EQ(records[i].value, 1000.0 * (i / 200) + i % 200);
    for (auto chain : chains_) EXPECT_EQ(db_->checkpoint(chain), "state199");
}

TEST_F(GenerationWriterTest, ACommitErrorReachesTheProducers) {
    GenerationWriter writer(*db_);
    writer.push({chains_[0], 0, {{"m", 1.0}}, ""});
    writer.push({chains_[0], 2, {{"m", 1.0}}, ""});  // generation 1 is missing
    EXPECT_THROW(writer.finish(), Error);
    EXPECT_THROW(writer.push({chains_[1], 0, {{"m", 1.0}}, ""}), Error);
}

TEST_F(GenerationWriterTest, ABatchIsAllOrNothing) {
    // Generation 0 of chain 0 and a gap for chain 1 in one batch: neither is committed.
    EXPECT_THROW(db_->commit_generations(
                     {{chains_[0], 0, {{"m", 1.0}}, "a"}, {chains_[1], 1, {{"m", 2.0}}, "b"}}),
                 Error);
    EXPECT_TRUE(db_->records({}).empty());
    // Several generations of one chain in one batch keep only the last checkpoint.
    db_->commit_generations(
        {{chains_[0], 0, {{"m", 1.0}}, "a"}, {chains_[0], 1, {{"m", 2.0}}, "b"}});
    EXPECT_EQ(db_->records({}).size(), 2u);
    EXPECT_EQ(db_->checkpoint(chains_[0]), "b");
    EXPECT_EQ(db_->chains(db_->settings(db_->studies()[0].id)[0].id)[0].last_generation, 1);
}

}  // namespace
}  // namespace madlab
