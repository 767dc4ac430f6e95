#pragma once
// Samples kept for the report: a few of a generation's model samples (points or text lines) and
// the held-out real points they are compared with. They are stored with the generation's records
// (results database, schema version 2) and written to DIR/samples.json; see docs/database.md.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace madlab {

struct SampleSet {
    std::string kind;                // "model" (the generation's samples) or "real" (test data)
    std::size_t columns = 0;         // point dimension; 0 for text lines
    std::vector<double> values;      // points, row-major: rows() x columns
    std::vector<std::string> lines;  // text samples (columns == 0)
    // Images: {height, width} with height * width == columns (pixel (r, c) of a point is value
    // r * width + c); empty for points that are not images and for text.
    std::vector<std::size_t> shape;

    std::size_t rows() const { return columns == 0 ? lines.size() : values.size() / columns; }
};

// One kept sample set with the chain it belongs to.
struct SampleRow {
    std::string setting;
    std::uint64_t seed = 0;
    int generation = 0;
    SampleSet samples;
};

// The data of a sample set as JSON: an array of points (arrays of numbers, null where a value
// is not finite) or an array of strings; for images (a non-empty shape) the object
// {"shape": [h, w], "points": [...]}, so that the results database keeps the shape in its
// `data` column (schema version 2 unchanged).
nlohmann::json sample_data_to_json(const SampleSet& samples);

// The inverse of sample_data_to_json, given the kind and the number of columns; throws
// DataError (naming `where`) when the JSON does not have that shape (or an image shape whose
// product is not the column count).
SampleSet sample_data_from_json(const nlohmann::json& data, const std::string& kind,
                                std::size_t columns, const std::string& where);

// The content of DIR/samples.json: {"madlab_version", "samples": [{"setting", "seed",
// "generation", "kind", "columns", ["shape": [h, w],] "points" | "lines"}]} in the order given;
// "shape" only for images.
nlohmann::json samples_file_json(const std::vector<SampleRow>& rows);

// The text of DIR/samples.json: samples_file_json(rows), compact, and a newline. Bytes that are
// not UTF-8 (a line that a model wrote, a database changed by hand) are written as U+FFFD
// instead of failing the run.
std::string samples_file_text(const std::vector<SampleRow>& rows);

}  // namespace madlab
