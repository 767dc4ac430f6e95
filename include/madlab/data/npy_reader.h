#pragma once
// Reads and writes data sets as NumPy .npy files (numpy.lib.format, versions 1.0, 2.0 and 3.0).
//
// Reading accepts little-endian (or single-byte) numeric dtypes '<f8', '<f4', '<i8', '<i4',
// '<i2', '|i1', '<u8', '<u4', '<u2', '|u1' (converted to double; 64-bit integers beyond 2^53
// round), C order only, shape (n,) (read as n x 1) or (n, d), n >= 1 and d >= 1, every value
// finite. Anything else is a DataError that names the file and says how to re-save it.

#include <string>

#include "madlab/core/matrix.h"

namespace madlab {

// Reads `path`. Throws DataError for a missing or unreadable file, a bad magic string or
// header, an unsupported dtype (big-endian, object, structured, complex...), Fortran order,
// a shape that is not 1-D or 2-D or is empty, truncated data, or a NaN/Inf value (naming its
// 0-based row and column, as NumPy counts).
Matrix read_npy(const std::string& path);

// Writes x as a version 1.0 .npy file with dtype '<f8', C order, shape (n, d), readable by
// numpy.load. The file is written atomically (core/atomic_file.h), so a reader never sees a
// partial file. Throws Error naming `path` if it cannot be written.
void write_npy(const std::string& path, const Matrix& x);

}  // namespace madlab
