#pragma once
// Bytes from files and other programs, made safe to put in a message for a terminal. A data file
// may hold a NUL byte (which would cut a C string short), UTF-16 text, or an escape sequence
// (which a terminal would act on); an external command's stderr may be binary. Such bytes are
// written as \xNN, so the message stays whole and shows what the file holds.

#include <string>
#include <string_view>

namespace madlab {

// `text` with every byte that a terminal would not print as text escaped as "\xNN": control
// bytes (below 0x20, and 0x7F) and bytes that are not part of valid UTF-8. A backslash stays a
// backslash. Newlines and tabs are kept when `keep_line_breaks` (a multi-line message), escaped
// otherwise (a quoted cell or name). Valid UTF-8 (accents, CJK) is kept as it is.
std::string printable(std::string_view text, bool keep_line_breaks = false);

// Whether `bytes` (the start of a file) begin with a UTF-16 or UTF-32 byte-order mark; returns
// the encoding's name ("UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE") or "" when none.
std::string_view wide_text_encoding(std::string_view bytes);

}  // namespace madlab
