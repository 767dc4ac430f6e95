#include "madlab/core/safe_file_name.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace madlab {
namespace {

TEST(SafeFileName, ASafeNameIsItself) {
    EXPECT_EQ(safe_file_name("fresh-data_2.5"), "fresh-data_2.5");
    EXPECT_EQ(safe_file_name("recall"), "recall");
    EXPECT_EQ(safe_file_name(""), "");
}

TEST(SafeFileName, AnyOtherNameCannotLeaveItsFolder) {
    for (const std::string& name :
         std::vector<std::string>{"../../x", "..", ".", "/etc/passwd", "a\nb", "metric-/../x",
                                  ".hidden", "fresh 10%", "a\\b", std::string("a\0b", 3)}) {
        const std::string safe = safe_file_name(name);
        EXPECT_NE(safe, name);
        EXPECT_FALSE(safe.empty()) << name;
        EXPECT_NE(safe.front(), '.') << name;
        EXPECT_EQ(safe.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_."),
                  std::string::npos)
            << safe;
    }
    EXPECT_EQ(safe_file_name("../../x").substr(0, 8), "_._.._x-");
    // The hash keeps names apart that share their safe characters.
    EXPECT_NE(safe_file_name("a b"), safe_file_name("a/b"));
    EXPECT_NE(safe_file_name("a b"), "a_b");
    // The setting folders of existing runs keep their names (docs/external.md's example).
    EXPECT_EQ(safe_file_name("fresh 10%"), "fresh_10_-862e565b");
}

}  // namespace
}  // namespace madlab
