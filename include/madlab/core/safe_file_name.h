#pragma once
// A file or folder name made from a name that comes from data or a config (a setting, a study,
// a metric in a summary.json someone sent): it can never leave the folder it is put in.

#include <string>

namespace madlab {

// `name` itself when it is a safe name (letters, digits, '-', '_', and '.' except first), else
// every other character replaced by '_' and a hash of the whole name appended ("a b" ->
// "a_b-1c2d3e4f"), so that two names never share a file ("a b" and "a_b" differ). The result
// has no '/', no control character, does not start with '.' (never "." or ".."), and is empty
// only for an empty name: callers that need a name refuse "" themselves.
std::string safe_file_name(const std::string& name);

}  // namespace madlab
