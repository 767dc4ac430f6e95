#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "madlab/report/charts.h"
#include "report_fixture.h"

namespace madlab {
namespace {

using nlohmann::json;
using ThresholdChartTest = testing::ReportFolder;

json threshold_chart(const StudyFolder& f) {
    for (const auto& v : report_views(f, {}))
        if (v.id == "threshold") return v.spec;
    ADD_FAILURE() << "no threshold chart";
    return json();
}

TEST_F(ThresholdChartTest, AFailingCandidateIsDrawnAtTheGenerationWhereItFailed) {
    const StudyFolder f = read_study_folder(fixture("threshold"));
    const json spec = threshold_chart(f);
    // The fixture's n_real_fresh = 0 fails first at generation 1 (of 2).
    bool seen = false;
    for (const auto& row : spec["datasets"]["candidates"]) {
        long long n = row["n_real_fresh"].get<long long>();
        for (const auto& c : f.analysis["candidates"]) {
            if (c["n_real_fresh"].get<long long>() != n) continue;
            const int shown = c["passes"].get<bool>() ? 2 : c["first_failure"].get<int>();
            EXPECT_EQ(row["generation"].get<int>(), shown) << n;
            const json& value = c["generations"][shown]["value"];
            EXPECT_EQ(row["mean"].get<double>(), value["mean"].get<double>()) << n;
            EXPECT_EQ(row["ci95_low"].get<double>(), value["ci95_low"].get<double>()) << n;
            if (n == 0) {
                seen = true;
                EXPECT_EQ(row["result"], "fails");
                EXPECT_EQ(row["generation"], 1);
                EXPECT_EQ(row["tag"], "g1");
            } else {
                EXPECT_EQ(row["tag"], "");
            }
        }
    }
    EXPECT_TRUE(seen);
}

// A text layer placed at a fixed pixel row: a reference line's label. Only checked lookups: a
// const json's operator[] on a missing key is undefined (an assertion in a Debug build).
bool is_reference_label(const json& layer) {
    const json& mark = layer.at("mark");
    if (!mark.is_object() || mark.value("type", "") != "text") return false;
    const json& encoding = layer.value("encoding", json::object());
    return encoding.contains("y") && encoding.at("y").contains("value");
}

// The labels of the two reference lines: their pixel rows (encoding y value).
std::map<std::string, double> label_rows(const json& spec) {
    std::map<std::string, double> out;
    for (const auto& l : spec.at("layer")) {
        if (!is_reference_label(l) || !l.contains("data")) continue;
        out[l.at("data").at("values").at(0).at("what").get<std::string>()] =
            l.at("encoding").at("y").at("value").get<double>();
    }
    return out;
}

TEST_F(ThresholdChartTest, TheReferenceLabelsStandApartRightOfThePoints) {
    const StudyFolder f = read_study_folder(fixture("threshold"));
    const json spec = threshold_chart(f);
    const auto rows = label_rows(spec);
    ASSERT_EQ(rows.size(), 2u);
    const double baseline = rows.at("generation 0 (real data only)");
    const double limit = rows.at("tolerance limit");
    // The fixture's limit is 10% above the baseline (0.0409 against 0.0371) on a log axis from
    // about 0.006 to 0.16: under 10 pixels apart on the 300-pixel plot, so they are moved apart
    // to a line of text (14 pixels), the limit (a larger value) above.
    EXPECT_GE(baseline - limit, 14.0 - 1e-9);
    EXPECT_GE(limit, 0.0);
    EXPECT_LE(baseline, 300.0);
    // The axis' domain is explicit (not "nice"), so those pixels are where the lines are drawn.
    const json& y = spec["layer"][0]["encoding"]["y"]["scale"];
    EXPECT_EQ(y["nice"], false);
    EXPECT_EQ(y["type"], "log");
    const double low = y["domain"][0].get<double>();
    const double high = y["domain"][1].get<double>();
    const double base_value = f.analysis["baseline"]["mean"].get<double>();
    const double limit_value = base_value + f.analysis["allowed_degradation"].get<double>();
    const auto pixel = [&](double v) {
        return 300.0 * (1.0 - std::log10(v / low) / std::log10(high / low));
    };
    EXPECT_NEAR(0.5 * (baseline + limit), 0.5 * (pixel(base_value) + pixel(limit_value)), 1e-9);
    EXPECT_LT(pixel(base_value) - pixel(limit_value), 14.0);
    // Right of the plot: x at the plot's width, left-aligned, so no point sits under a label.
    for (const auto& l : spec.at("layer"))
        if (is_reference_label(l)) {
            EXPECT_EQ(l.at("mark").at("x").at("expr"), "width");
            EXPECT_EQ(l.at("mark").at("align"), "left");
        }
}

TEST_F(ThresholdChartTest, LabelsFarApartStayOnTheirLines) {
    const std::string dir = fixture("threshold");
    const auto path = std::filesystem::path(dir) / "threshold.json";
    json j = json::parse(read(path));
    // A tolerance of the whole baseline: the limit is twice the baseline, far from it.
    j["threshold"]["allowed_degradation"] = j["threshold"]["baseline"]["mean"];
    write(path, j.dump());
    const json spec = threshold_chart(read_study_folder(dir));
    const auto rows = label_rows(spec);
    const json& y = spec["layer"][0]["encoding"]["y"]["scale"];
    const double low = y["domain"][0].get<double>();
    const double high = y["domain"][1].get<double>();
    const double base_value = j["threshold"]["baseline"]["mean"].get<double>();
    const auto pixel = [&](double v) {
        return 300.0 * (1.0 - std::log10(v / low) / std::log10(high / low));
    };
    EXPECT_NEAR(rows.at("generation 0 (real data only)"), pixel(base_value), 1e-9);
    EXPECT_NEAR(rows.at("tolerance limit"), pixel(2 * base_value), 1e-9);
}

}  // namespace
}  // namespace madlab
