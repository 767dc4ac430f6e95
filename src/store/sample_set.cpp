#include "madlab/store/sample_set.h"

#include <fmt/core.h>

#include <cmath>
#include <limits>

#include "madlab/core/error.h"

namespace madlab {

namespace {

nlohmann::json points_json(const SampleSet& samples) {
    nlohmann::json data = nlohmann::json::array();
    if (samples.columns == 0) {
        for (const auto& line : samples.lines) data.push_back(line);
        return data;
    }
    for (std::size_t r = 0; r < samples.rows(); ++r) {
        nlohmann::json point = nlohmann::json::array();
        for (std::size_t c = 0; c < samples.columns; ++c) {
            const double v = samples.values[r * samples.columns + c];
            point.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
        }
        data.push_back(std::move(point));
    }
    return data;
}

}  // namespace

nlohmann::json sample_data_to_json(const SampleSet& samples) {
    if (samples.shape.empty()) return points_json(samples);
    return {{"shape", samples.shape}, {"points", points_json(samples)}};
}

SampleSet sample_data_from_json(const nlohmann::json& data, const std::string& kind,
                                std::size_t columns, const std::string& where) {
    SampleSet out;
    out.kind = kind;
    out.columns = columns;
    if (data.is_object() && columns > 0) {
        const auto shape = data.find("shape");
        const auto points = data.find("points");
        if (shape == data.end() || points == data.end() || !shape->is_array())
            throw DataError(where + ": image samples need \"shape\" and \"points\"");
        std::size_t product = 1;
        for (const auto& v : *shape) {
            if (!v.is_number_unsigned())
                throw DataError(where + ": an image shape entry is not a positive integer");
            out.shape.push_back(v.get<std::size_t>());
            product *= out.shape.back();
        }
        if (out.shape.empty() || product != columns)
            throw DataError(fmt::format("{}: image shape of {} values does not match {} columns",
                                        where, product, columns));
        SampleSet flat = sample_data_from_json(*points, kind, columns, where);
        flat.shape = std::move(out.shape);
        return flat;
    }
    if (!data.is_array()) throw DataError(where + ": samples are not a JSON array");
    for (const auto& item : data) {
        if (columns == 0) {
            if (!item.is_string()) throw DataError(where + ": a text sample is not a string");
            out.lines.push_back(item.get<std::string>());
            continue;
        }
        if (!item.is_array() || item.size() != columns)
            throw DataError(
                fmt::format("{}: a sample point does not have {} values", where, columns));
        for (const auto& v : item) {
            if (v.is_null()) {
                out.values.push_back(std::numeric_limits<double>::quiet_NaN());
            } else if (v.is_number()) {
                out.values.push_back(v.get<double>());
            } else {
                throw DataError(where + ": a sample value is not a number");
            }
        }
    }
    return out;
}

nlohmann::json samples_file_json(const std::vector<SampleRow>& rows) {
    nlohmann::json file;
    file["madlab_version"] = MADLAB_VERSION;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& row : rows) {
        nlohmann::json entry = {{"setting", row.setting},
                                {"seed", row.seed},
                                {"generation", row.generation},
                                {"kind", row.samples.kind},
                                {"columns", row.samples.columns}};
        if (!row.samples.shape.empty()) entry["shape"] = row.samples.shape;
        if (row.samples.columns == 0)
            entry["lines"] = sample_data_to_json(row.samples);
        else
            entry["points"] = points_json(row.samples);
        list.push_back(std::move(entry));
    }
    file["samples"] = std::move(list);
    return file;
}

std::string samples_file_text(const std::vector<SampleRow>& rows) {
    return samples_file_json(rows).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
}

}  // namespace madlab
