#pragma once
// Errors a user can act on. Every message names the file, line or key at fault and says how to
// fix it (KenLM's habit). The CLI maps ConfigError and DataError to exit code 2 and every other
// failure to exit code 1.

#include <stdexcept>
#include <string>

namespace madlab {

// Base of every error madlab throws on purpose.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A bad config file, key, value or command-line setting.
class ConfigError : public Error {
public:
    using Error::Error;
};

// A bad or unusable input data file (ragged rows, NaN, too few rows, unsupported dtype...).
class DataError : public Error {
public:
    using Error::Error;
};

// A computation that cannot produce a meaningful number (e.g. a density fit on no data).
class NumericalError : public Error {
public:
    using Error::Error;
};

}  // namespace madlab
