#pragma once
// The JavaScript the report inlines, compiled into madlab from report/node_modules at build time
// (cmake/report_assets.cmake): the minified builds of vega, vega-lite and vega-embed, without
// their source-map comments.

#include <string_view>

namespace madlab::report_assets {

std::string_view vega_js();
std::string_view vega_lite_js();
std::string_view vega_embed_js();

}  // namespace madlab::report_assets
