#include "madlab/core/registry.h"

#include <gtest/gtest.h>

#include <string>

#include "madlab/core/error.h"

namespace madlab {
namespace {

// An extension point of this test only (each Entry type has its own registry).
struct Widget {
    std::string name;
    int size = 0;
};

TEST(Registry, FindsEntriesByNameSortedAndRefusesADuplicate) {
    Registry<Widget>::add({"small", 1}, "widget");
    Registry<Widget>::add({"big", 9}, "widget");
    ASSERT_NE(Registry<Widget>::find("big"), nullptr);
    EXPECT_EQ(Registry<Widget>::find("big")->size, 9);
    EXPECT_EQ(Registry<Widget>::find("none"), nullptr);
    EXPECT_EQ(Registry<Widget>::names(), (std::vector<std::string>{"big", "small"}));
    ASSERT_EQ(Registry<Widget>::all().size(), 2u);
    EXPECT_EQ(Registry<Widget>::all()[1]->name, "small");
    try {
        Registry<Widget>::add({"big", 2}, "widget");
        FAIL() << "a second 'big' was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "two widget entries are registered as 'big'");
    }
    EXPECT_EQ(Registry<Widget>::find("big")->size, 9);  // the first one stays
}

}  // namespace
}  // namespace madlab
