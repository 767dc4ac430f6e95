#pragma once
// Helpers the unit tests of every layer share: the message of an expected error, a substring
// test, a named value. One definition here, so that test files compiled together (a unity
// build, scripts/sanitize.sh) never define the same helper twice.

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "madlab/core/error.h"
#include "madlab/core/named_values.h"

namespace madlab::testing {

// The message of the madlab::Error that f() throws; "(no error)" when it throws none. Any
// other exception escapes and fails the test.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The value called `name` in `values`; a test failure and NaN when there is none.
inline double value_of(const NamedValues& values, const std::string& name) {
    for (const auto& [key, value] : values)
        if (key == name) return value;
    ADD_FAILURE() << "no value " << name;
    return NAN;
}

}  // namespace madlab::testing
