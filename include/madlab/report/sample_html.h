#pragma once
// The samples that the report shows as HTML rather than as charts: text lines and images, per
// setting (first stored seed) and generation, under the real test data.

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "madlab/report/study_folder.h"

namespace madlab {

// The samples of one setting that the report shows: its first stored seed's real entry (or
// nullptr) and model entries by generation. Pointers into the folder.
struct SettingSamples {
    std::string setting;
    const SampleEntry* real = nullptr;
    std::map<int, const SampleEntry*> model;
};
// The entries `keep` accepts, grouped by setting in the order settings first appear.
std::vector<SettingSamples> samples_by_setting(const StudyFolder& folder,
                                               const std::function<bool(const SampleEntry&)>& keep);

// {height, width, channels} of an image entry, or zeros when its shape does not match its
// columns (channels 1 or 3).
std::array<std::size_t, 3> image_dims(const SampleEntry& e);
// An image entry whose shape matches its columns.
bool is_drawable_image(const SampleEntry& e);
// The grey scale every image is drawn in: the range of the real images' values ([0, 1] when
// there are none or they are constant).
std::pair<double, double> real_image_range(const StudyFolder& folder);
// A value mapped linearly from [low, high] to 0..255, clamped; 0 for NaN.
unsigned char pixel_byte(double value, double low, double high);

// A small coloured square in the setting's chart colour (charts.h's setting_colors).
std::string setting_swatch(const StudyFolder& folder, const std::string& setting);

// The section of text samples: up to `max_lines` lines per generation, escaped; "" when the
// folder has no text samples.
std::string text_samples_html(const StudyFolder& folder, std::size_t max_lines);

// The section of image samples (entries with a "shape"): up to `max_images` images per
// generation, as <img> elements with data: URLs; "" when the folder has none.
std::string image_samples_html(const StudyFolder& folder, std::size_t max_images);

// `bytes` in base64 (RFC 4648, with padding), for data: URLs.
std::string base64(const std::string& bytes);

// One image as a data: URL of a 24-bit BMP. `pixels` is row-major, height x width x channels
// (channels 1: grey, 3: RGB); values map linearly from [low, high] to 0..255, clamped.
std::string bmp_data_url(const double* pixels, std::size_t height, std::size_t width,
                         std::size_t channels, double low, double high);

}  // namespace madlab
