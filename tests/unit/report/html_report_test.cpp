#include "madlab/report/html_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "madlab/core/error.h"
#include "report_fixture.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using HtmlReportTest = testing::ReportFolder;

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

// The JSON of the page's data element.
json page_data(const std::string& html) {
    const std::string open = "<script type=\"application/json\" id=\"madlab-data\">";
    const auto begin = html.find(open);
    EXPECT_NE(begin, std::string::npos);
    const auto start = begin + open.size();
    return json::parse(html.substr(start, html.find("</script>", start) - start));
}

TEST(Escaping, HtmlAndScriptJson) {
    EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    const json j = {{"s", "</script><!-- & \u2028"}};
    const std::string text = script_json(j);
    EXPECT_EQ(text.find('<'), std::string::npos);
    EXPECT_EQ(text.find('>'), std::string::npos);
    EXPECT_EQ(text.find('&'), std::string::npos);
    EXPECT_EQ(text.find("\u2028"), std::string::npos);
    EXPECT_EQ(json::parse(text), j);  // still the same JSON
}

TEST_F(HtmlReportTest, WritesOneSelfContainedPage) {
    const std::string dir = fixture("run");
    const std::string path = write_report(dir);
    EXPECT_EQ(path, (fs::path(dir) / "report.html").string());
    const std::string html = read(path);
    // vega, vega-lite and vega-embed inlined; no script or style from elsewhere.
    EXPECT_NE(html.find("vegaEmbed"), std::string::npos);
    EXPECT_NE(html.find("vegaLite"), std::string::npos);
    EXPECT_EQ(count(html, "<script src"), 0u);
    EXPECT_EQ(count(html, "<link"), 0u);
    EXPECT_EQ(html.find("sourceMappingURL"), std::string::npos);
    // The header: question, config, version, run time, database, final values.
    EXPECT_NE(html.find("<h1>tiny-grid</h1>"), std::string::npos);
    EXPECT_NE(html.find("Does fresh data keep a tiny grid model from going MAD?"),
              std::string::npos);
    EXPECT_NE(html.find("name = &#39;tiny-grid&#39;"), std::string::npos);  // config.toml
    EXPECT_NE(html.find("0.1.0"), std::string::npos);
    EXPECT_NE(html.find("1.5 s"), std::string::npos);
    EXPECT_NE(html.find("/data/lab.sqlite"), std::string::npos);
    EXPECT_NE(html.find("<table class=\"final\">"), std::string::npos);
    // One chart element per view, and the data names each one.
    const json data = page_data(html);
    ASSERT_EQ(data["views"].size(), 4u);
    for (const auto& v : data["views"])
        EXPECT_NE(html.find("id=\"view-" + v["id"].get<std::string>() + "\""), std::string::npos);
    // The summary is stored once for the two charts that draw it.
    EXPECT_TRUE(data["datasets"].contains("summary"));
    EXPECT_EQ(data["views"][0]["datasets"], json::array({"summary"}));
    EXPECT_EQ(data["views"][1]["datasets"], json::array({"summary"}));
    EXPECT_TRUE(data["views"][0]["spec"]["datasets"].empty());
    // No temporary file left.
    for (const auto& entry : fs::directory_iterator(dir))
        EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST_F(HtmlReportTest, VerdictsSayWhichSettingsDegrade) {
    const std::string html = read(write_report(fixture("run")));
    const std::regex worse(
        "<strong>fully-synthetic</strong> <span class=\"verdict worse\">worse</span>[^<]*recall "
        "\u2212(\\d+)%");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(html, m, worse)) << html.substr(html.find("findings"), 1500);
    EXPECT_EQ(m[1], "32");  // 0.3 of 0.9507
    EXPECT_NE(html.find("<strong>fresh-data</strong> <span class=\"verdict holds\">holds</span>"),
              std::string::npos);
}

TEST_F(HtmlReportTest, ScriptEndInADescriptionOrNameCannotBreakThePage) {
    const std::string dir = fixture("run");
    const std::string evil = "</script><script>alert(1)</script>";
    json summary = json::parse(read(fs::path(dir) / "summary.json"));
    summary["config"]["study"]["description"] = "Why? " + evil;
    for (auto& row : summary["summary"])
        if (row["setting"] == "fresh-data") row["setting"] = "fresh " + evil;
    write(fs::path(dir) / "summary.json", summary.dump());
    fs::remove(fs::path(dir) / "config.toml");
    const std::string html = read(write_report(dir));
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_NE(html.find("Why? &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
              std::string::npos);
    // Every </script> closes one of the page's own elements: 3 libraries, data, code.
    EXPECT_EQ(count(html, "</script>"), 5u);
    EXPECT_EQ(count(html, "<script"), 5u);
    // The data still holds the name as it is.
    const json data = page_data(html);
    EXPECT_EQ(data["views"][0]["spec"]["spec"]["encoding"]["color"]["scale"]["domain"][1],
              "fresh " + evil);
}

TEST_F(HtmlReportTest, WithoutSamplesThePageHasNoSampleSection) {
    const std::string dir = fixture("run");
    fs::remove(fs::path(dir) / "samples.json");
    fs::remove(fs::path(dir) / "run.json");
    const std::string html = read(write_report(dir));
    EXPECT_EQ(html.find("view-samples"), std::string::npos);
    EXPECT_NE(html.find("none (run with --no-db)"), std::string::npos);
    EXPECT_EQ(page_data(html)["views"].size(), 3u);
}

TEST_F(HtmlReportTest, TextSamplesAreEscapedLinesPerGeneration) {
    const std::string dir = fixture("run");
    write(fs::path(dir) / "samples.json",
          R"({"samples": [
                {"setting": "fresh-data", "seed": 0, "generation": 0, "kind": "real",
                 "lines": ["la <b>casa</b> & el río"]},
                {"setting": "fresh-data", "seed": 0, "generation": 2, "kind": "model",
                 "lines": ["una línea", "otra", "tercera"]},
                {"setting": "fresh-data", "seed": 0, "generation": 1, "kind": "model",
                 "lines": ["primera </script>"]}]})");
    ReportOptions options;
    options.max_lines = 2;
    const StudyFolder folder = read_study_folder(dir);
    const std::string html = render_report(folder, options);
    EXPECT_NE(html.find("la &lt;b&gt;casa&lt;/b&gt; &amp; el río"), std::string::npos);
    EXPECT_NE(html.find("primera &lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("otra"), std::string::npos);
    EXPECT_EQ(html.find("tercera"), std::string::npos);  // max_lines
    // Generations in order, the real text first.
    const auto real = html.find("real text");
    const auto g1 = html.find("generation 1<");
    const auto g2 = html.find("generation 2<");
    ASSERT_NE(real, std::string::npos);
    EXPECT_LT(real, g1);
    EXPECT_LT(g1, g2);
    EXPECT_EQ(html.find("view-samples"), std::string::npos);  // no scatter for text
}

TEST_F(HtmlReportTest, AnalysesLeadWithTheirAnswer) {
    const std::string threshold = read(write_report(fixture("threshold")));
    EXPECT_NE(threshold.find("n_real_fresh = <strong>100</strong>"), std::string::npos);
    EXPECT_NE(threshold.find("threshold analysis"), std::string::npos);
    const std::string decompose = read(write_report(fixture("decompose")));
    EXPECT_NE(decompose.find("error decomposition"), std::string::npos);
    EXPECT_NE(decompose.find("statistical</strong>"), std::string::npos);
    EXPECT_NE(decompose.find("view-decompose"), std::string::npos);
}

TEST_F(HtmlReportTest, UnreadableFolderIsADataError) {
    const std::string dir = fixture("run");
    write(fs::path(dir) / "summary.json", "not json");
    EXPECT_THROW(write_report(dir), DataError);
    EXPECT_FALSE(fs::exists(fs::path(dir) / "report.html"));
}

}  // namespace
}  // namespace madlab
