#include "madlab/loop/schedule.h"

#include <gtest/gtest.h>

#include "madlab/core/error.h"

namespace madlab {
namespace {

TEST(SchedulePreset, EachPresetFillsItsParameters) {
    const auto full = schedule_preset("fully-synthetic", 100);
    EXPECT_EQ(full.n_real_initial, 100u);
    EXPECT_EQ(full.n_synthetic, 100u);
    EXPECT_EQ(full.n_real_fixed + full.n_real_fresh, 0u);
    EXPECT_FALSE(full.accumulate);

    const auto aug = schedule_preset("synthetic-augmentation", 100);
    EXPECT_EQ(aug.n_real_fixed, 100u);
    EXPECT_EQ(aug.n_real_fresh, 0u);

    const auto fresh = schedule_preset("fresh-data", 100);
    EXPECT_EQ(fresh.n_real_fresh, 100u);
    EXPECT_EQ(fresh.n_synthetic, 100u);

    const auto acc = schedule_preset("accumulate", 100);
    EXPECT_TRUE(acc.accumulate);
    EXPECT_EQ(acc.subsample, 0u);

    const auto sub = schedule_preset("accumulate-subsample", 100);
    EXPECT_TRUE(sub.accumulate);
    EXPECT_EQ(sub.subsample, 100u);
    for (const auto& name : schedule_preset_names())
        EXPECT_NO_THROW(validate(schedule_preset(name, 7)));
}

TEST(SchedulePreset, UnknownNameListsTheValidOnes) {
    try {
        schedule_preset("replace", 10);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("accumulate-subsample"), std::string::npos);
    }
}

TEST(ScheduleValidate, RejectsImpossibleSchedules) {
    ScheduleOptions o;
    o.n_real_initial = 0;
    EXPECT_THROW(validate(o), ConfigError);
    o = {};
    o.n_real_fixed = o.n_real_initial + 1;
    EXPECT_THROW(validate(o), ConfigError);
    o = {};
    o.subsample = 5;
    EXPECT_THROW(validate(o), ConfigError);
    o = {};
    o.synthetic_from_last_k = 0;
    EXPECT_THROW(validate(o), ConfigError);
    o = {};
    o.n_synthetic = 0;
    EXPECT_THROW(validate(o), ConfigError);
}

TEST(TrainingSet, AppendSelectAndRealFraction) {
    TrainingSet t;
    EXPECT_EQ(t.real_fraction(), 0.0);
    Matrix real(3, 2);
    real << 1, 2, 3, 4, 5, 6;
    Matrix synth(1, 2);
    synth << 7, 8;
    t.append(real, kRealOrigin);
    t.append(synth, 4);
    EXPECT_EQ(t.size(), 4u);
    EXPECT_DOUBLE_EQ(t.real_fraction(), 0.75);
    EXPECT_EQ(t.origin[3], 4);
    EXPECT_EQ(t.data(3, 1), 8);

    TrainingSet u;
    u.append(synth, 9);
    u.append(t);
    EXPECT_EQ(u.size(), 5u);
    EXPECT_EQ(u.origin[0], 9);
    EXPECT_EQ(u.origin[4], 4);
    EXPECT_EQ(u.data(1, 0), 1);

    const TrainingSet s = t.select({3, 0});
    EXPECT_EQ(s.size(), 2u);
    EXPECT_EQ(s.origin[0], 4);
    EXPECT_EQ(s.data(1, 1), 2);
}

}  // namespace
}  // namespace madlab
