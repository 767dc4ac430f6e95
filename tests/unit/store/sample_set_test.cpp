#include "madlab/store/sample_set.h"

#include <gtest/gtest.h>

#include "madlab/core/error.h"

namespace madlab {
namespace {

SampleSet image_set() {
    SampleSet set;
    set.kind = "model";
    set.columns = 6;
    set.shape = {2, 3};
    for (int i = 0; i < 12; ++i) set.values.push_back(i / 11.0);
    return set;
}

TEST(SampleSet, ImageShapeRoundTripsThroughTheDatabaseJson) {
    const SampleSet set = image_set();
    const nlohmann::json data = sample_data_to_json(set);
    ASSERT_TRUE(data.is_object());
    EXPECT_EQ(data["shape"], nlohmann::json::array({2, 3}));
    EXPECT_EQ(data["points"].size(), 2u);
    const SampleSet back = sample_data_from_json(data, "model", 6, "test");
    EXPECT_EQ(back.shape, set.shape);
    EXPECT_EQ(back.values, set.values);
    // Points without a shape keep the plain array of schema 2.
    SampleSet points = set;
    points.shape.clear();
    EXPECT_TRUE(sample_data_to_json(points).is_array());
    EXPECT_TRUE(sample_data_from_json(sample_data_to_json(points), "model", 6, "t").shape.empty());
}

TEST(SampleSet, SamplesFileCarriesTheShapeBesideThePoints) {
    const nlohmann::json file = samples_file_json({SampleRow{"s", 0, 1, image_set()}});
    const auto& entry = file["samples"][0];
    EXPECT_EQ(entry["shape"], nlohmann::json::array({2, 3}));
    EXPECT_EQ(entry["columns"], 6);
    ASSERT_TRUE(entry["points"].is_array());  // points stay an array of points
    EXPECT_EQ(entry["points"][1][0], 6 / 11.0);
    const nlohmann::json plain = samples_file_json({SampleRow{"s", 0, 1, SampleSet{"real", 1}}});
    EXPECT_FALSE(plain["samples"][0].contains("shape"));
}

TEST(SampleSet, MalformedImageJsonIsADataError) {
    nlohmann::json wrong = sample_data_to_json(image_set());
    wrong["shape"] = {2, 2};  // 4 pixels, 6 columns
    EXPECT_THROW(sample_data_from_json(wrong, "model", 6, "t"), DataError);
    nlohmann::json missing = sample_data_to_json(image_set());
    missing.erase("points");
    EXPECT_THROW(sample_data_from_json(missing, "model", 6, "t"), DataError);
    nlohmann::json negative = sample_data_to_json(image_set());
    negative["shape"] = {-2, -3};
    EXPECT_THROW(sample_data_from_json(negative, "model", 6, "t"), DataError);
}

// A text sample that is not UTF-8 (a model's line, or a row of a database changed by hand) is
// written to samples.json with U+FFFD in its place; nlohmann::json threw type_error 316 (exit 1,
// a JSON library's message). Found by tests/fuzz/results_db_fuzz.
TEST(SampleSet, SamplesFileReplacesBytesThatAreNotUtf8) {
    SampleRow row;
    row.setting = "s\x8e";
    row.samples.kind = "model";
    row.samples.lines = {"caf\xe9 ok"};
    const std::string text = samples_file_text({row});
    EXPECT_NE(text.find("\"s\xEF\xBF\xBD\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"caf\xEF\xBF\xBD ok\""), std::string::npos) << text;
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(nlohmann::json::parse(text)["samples"][0]["lines"][0], "caf\xEF\xBF\xBD ok");
}

}  // namespace
}  // namespace madlab
