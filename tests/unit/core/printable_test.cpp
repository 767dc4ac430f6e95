#include "madlab/core/printable.h"

#include <gtest/gtest.h>

#include <string>

namespace madlab {
namespace {

TEST(Printable, KeepsPlainTextAndValidUtf8) {
    EXPECT_EQ(printable("3.5, -1e-3"), "3.5, -1e-3");
    EXPECT_EQ(printable("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"),
              "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
    EXPECT_EQ(printable("a\\b"), "a\\b");
}

TEST(Printable, EscapesNulAndControlBytesSoTheMessageStaysWhole) {
    const std::string with_nul("4\0x", 3);
    EXPECT_EQ(printable(with_nul), "4\\x00x");
    EXPECT_EQ(printable("\x1B[31mred\x1B[0m"), "\\x1B[31mred\\x1B[0m");
    EXPECT_EQ(printable("\x7F"), "\\x7F");
    EXPECT_EQ(printable("a\nb\tc"), "a\\x0Ab\\x09c");
    EXPECT_EQ(printable("a\nb\tc", true), "a\nb\tc");
    EXPECT_EQ(printable("a\rb", true), "a\\x0Db");
}

TEST(Printable, EscapesBytesThatAreNotUtf8) {
    // UTF-16LE "1," with its byte-order mark: FF FE 31 00 2C 00.
    const std::string utf16(
        "\xFF\xFE"
        "1\0,\0",
        6);
    EXPECT_EQ(printable(utf16), "\\xFF\\xFE1\\x00,\\x00");
    EXPECT_EQ(printable("\xC3"), "\\xC3");                             // truncated sequence
    EXPECT_EQ(printable("\xC0\xAF"), "\\xC0\\xAF");                    // overlong '/'
    EXPECT_EQ(printable("\xED\xA0\x80"), "\\xED\\xA0\\x80");           // a UTF-16 surrogate
    EXPECT_EQ(printable("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(Printable, NamesWideTextEncodings) {
    EXPECT_EQ(wide_text_encoding(std::string("\xFF\xFE"
                                             "1\0",
                                             4)),
              "UTF-16LE");
    EXPECT_EQ(wide_text_encoding(std::string("\xFE\xFF\0"
                                             "1",
                                             4)),
              "UTF-16BE");
    EXPECT_EQ(wide_text_encoding(std::string("\xFF\xFE\0\0", 4)), "UTF-32LE");
    EXPECT_EQ(wide_text_encoding(std::string("\0\0\xFE\xFF", 4)), "UTF-32BE");
    EXPECT_EQ(wide_text_encoding("1,2\n"), "");
    EXPECT_EQ(wide_text_encoding("\xEF\xBB\xBF"
                                 "1,2"),
              "");  // UTF-8's mark is text
    EXPECT_EQ(wide_text_encoding(""), "");
}

}  // namespace
}  // namespace madlab
