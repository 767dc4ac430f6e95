// `madlab keys`: the config keys of every model family, from the families' own tables, and the
// generated block of docs/config.md. A family whose keys are not in the committed docs (a new
// family, a new key, a changed default or help line) fails here until the block is regenerated:
//   build/madlab keys --markdown   (paste between the markers of docs/config.md)

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "cli_runner.h"
#include "madlab/metrics/metric_registry.h"
#include "madlab/models/model_registry.h"
#include "madlab/study/key_reference.h"

namespace madlab {
namespace {

using madlab::testing::read_file;
using madlab::testing::run_madlab;

TEST(KeysCli, DocsConfigHoldsTheGeneratedKeyReference) {
#ifndef MADLAB_HAVE_NEURAL
    // docs/config.md documents every family; this build lacks vae, flow and gpt.
    GTEST_SKIP() << "built without the neural families (MADLAB_NEURAL=OFF): their keys are "
                    "not in `madlab keys`";
#endif
    const auto r = run_madlab("keys --markdown", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string docs = read_file(MADLAB_SOURCE_DIR "/docs/config.md");
    // The committed text between a pair of markers, markers included.
    const auto block = [&](const std::string& begin_marker, const std::string& end_marker) {
        const auto begin = docs.find(begin_marker);
        const auto end = docs.find(end_marker);
        EXPECT_NE(begin, std::string::npos) << "docs/config.md lost " << begin_marker;
        EXPECT_NE(end, std::string::npos) << "docs/config.md lost " << end_marker;
        if (begin == std::string::npos || end == std::string::npos) return std::string();
        return docs.substr(begin, end + end_marker.size() + 1 - begin);
    };
    EXPECT_EQ(block(kModelKeysBegin, kModelKeysEnd) + "\n" + block(kMetricsBegin, kMetricsEnd),
              r.output)
        << "docs/config.md does not document the model families' and metrics' keys as the "
           "code declares them: regenerate its blocks with `madlab keys --markdown`";
}

// Every key of every family the binary knows is listed, with its default and range, and is a
// key a study file may set (the same table drives the reader).
TEST(KeysCli, ListsEveryFamilysKeys) {
    const auto r = run_madlab("keys", false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (const char* line :
         {"model.family = \"gmm\"", "model.components = 8  (integer in [1, 100000]; vectors)",
          "model.bandwidth = \"scott\"  (\"scott\" or \"silverman\" or a number > 0; vectors)",
          "model.order = 3  (integer in [1, 6]; text)",
          "model.max_line_length = 200  (integer >= 1; text)",
          "model.timeout_s = 3600.0  (number in [0, 1000000000]; all)",
          "metrics.list metric \"prdc\"", "metrics.k = 5  (integer in [1, 1000])"})
        EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
    for (const ModelFamily* family : model_families())
        for (const ConfigKey& key : family->keys)
            EXPECT_NE(r.output.find("model." + key.name + " = "), std::string::npos)
                << family->name << ": model." << key.name;
    for (const MetricEntry* metric : registered_metrics())
        EXPECT_NE(r.output.find("metric \"" + metric->name + "\""), std::string::npos)
            << metric->name;
}

}  // namespace
}  // namespace madlab
