# The report inlines vega, vega-lite and vega-embed (npm packages pinned by
# report/package-lock.json) into every report.html; this compiles their minified builds into
# madlab_report as string constants (cmake/embed_js.cpp). Included after madlab_layer(report).

set(MADLAB_REPORT_JS_DIR "${PROJECT_SOURCE_DIR}/report/node_modules" CACHE PATH
    "node_modules folder with vega, vega-lite and vega-embed (npm ci in report/)")
set(madlab_report_js
    vega_js=${MADLAB_REPORT_JS_DIR}/vega/build/vega.min.js
    vega_lite_js=${MADLAB_REPORT_JS_DIR}/vega-lite/build/vega-lite.min.js
    vega_embed_js=${MADLAB_REPORT_JS_DIR}/vega-embed/build/vega-embed.min.js)
set(madlab_report_js_files)
foreach(entry IN LISTS madlab_report_js)
  string(REGEX REPLACE "^[^=]*=" "" file "${entry}")
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR
      "madlab's HTML report inlines vega, vega-lite and vega-embed from npm, and ${file} is "
      "missing. Run `bash scripts/install-deps.sh` (as root; it runs `npm ci` in report/), or "
      "`npm ci` in ${PROJECT_SOURCE_DIR}/report, then configure again (or point "
      "-DMADLAB_REPORT_JS_DIR at a node_modules folder that has them).")
  endif()
  list(APPEND madlab_report_js_files "${file}")
endforeach()

add_executable(madlab_embed_js ${PROJECT_SOURCE_DIR}/cmake/embed_js.cpp)
set(madlab_report_assets_cpp ${CMAKE_BINARY_DIR}/generated/report_assets.cpp)
add_custom_command(
  OUTPUT ${madlab_report_assets_cpp}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/generated
  COMMAND madlab_embed_js ${madlab_report_assets_cpp} ${madlab_report_js}
  DEPENDS madlab_embed_js ${madlab_report_js_files}
  COMMENT "Embedding vega, vega-lite and vega-embed into the report layer"
  VERBATIM)
# The literals are longer than the 65536 characters ISO C++ promises; GCC takes them.
set_source_files_properties(${madlab_report_assets_cpp} PROPERTIES
  COMPILE_OPTIONS "-Wno-overlength-strings")
target_sources(madlab_report PRIVATE ${madlab_report_assets_cpp})
# Where `madlab report --figures` finds report/figures.mjs and its node_modules; the environment
# variable MADLAB_REPORT_DIR overrides it at run time.
target_compile_definitions(madlab_report PRIVATE
  MADLAB_REPORT_SOURCE_DIR="${PROJECT_SOURCE_DIR}/report")
