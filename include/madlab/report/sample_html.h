#pragma once
// The samples that the report shows as HTML rather than as charts: text lines and images, per
// setting (first stored seed) and generation, under the real test data.

#include <cstddef>
#include <string>

#include "madlab/report/study_folder.h"

namespace madlab {

// A small coloured square in the setting's chart colour (charts.h's setting_colors).
std::string setting_swatch(const StudyFolder& folder, const std::string& setting);

// The section of text samples: up to `max_lines` lines per generation, escaped; "" when the
// folder has no text samples.
std::string text_samples_html(const StudyFolder& folder, std::size_t max_lines);

// The section of image samples (entries with a "shape"): up to `max_images` images per
// generation, as <img> elements with data: URLs; "" when the folder has none.
std::string image_samples_html(const StudyFolder& folder, std::size_t max_images);

// One image as a data: URL of a 24-bit BMP. `pixels` is row-major, height x width x channels
// (channels 1: grey, 3: RGB); values map linearly from [low, high] to 0..255, clamped.
std::string bmp_data_url(const double* pixels, std::size_t height, std::size_t width,
                         std::size_t channels, double low, double high);

}  // namespace madlab
