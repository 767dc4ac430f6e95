#pragma once
// Image samples as PNG figures for papers: per setting one grid, the real test images in the
// top row and below them one row per stored generation (first seed), in the report's grey
// scale (the real images' range). Written by `madlab report --figures FIGDIR` in C++ (zlib),
// without node or a browser.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "madlab/report/study_folder.h"

namespace madlab {

// An 8-bit RGB PNG (colour type 2, no interlace, filter 0 on every row): `rgb` holds height
// rows of width * 3 bytes, top row first. Throws Error if zlib fails.
std::string encode_png_rgb(const std::vector<std::uint8_t>& rgb, std::size_t width,
                           std::size_t height);

struct ImageGridOptions {
    std::size_t max_images = 10;  // images per row at most
    std::size_t zoom = 0;  // each pixel as zoom x zoom; 0: about 64 pixels an image (8x8 digits
                           // x 8, 28x28 MNIST x 2)
    std::size_t gap = 2;   // white pixels between images and rows
};

// The label column and title row of labelled_grid_svg, in pixels.
inline constexpr double kLabelWidth = 120.0;
inline constexpr double kTitleHeight = 24.0;

// An SVG of the grid `png` (width x height pixels) with the page's labels: `title` (the
// setting) above it and labels[r] left of row r, centred on row_centres[r] (pixels from the
// grid's top). The PNG is embedded as a data: URL, drawn pixelated; the text is escaped.
std::string labelled_grid_svg(const std::string& png, std::size_t width, std::size_t height,
                              const std::string& title, const std::vector<std::string>& labels,
                              const std::vector<double>& row_centres);

// Writes FIGDIR/image-samples-<n>.png for the n-th setting (1-based, in the report's order)
// with image samples, and FIGDIR/image-samples-<n>.svg, the same grid labelled (the setting,
// "real test data" and "generation <g>" per row), and returns the file names (PNG, then SVG,
// per setting); nothing when the folder has none. Creates FIGDIR. Files are written
// atomically.
std::vector<std::string> write_image_grids(const StudyFolder& folder, const std::string& fig_dir,
                                           const ImageGridOptions& options = {});

}  // namespace madlab
