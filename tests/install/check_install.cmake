# The install test (ctest label `install`): installs the current build tree into a fresh prefix,
# builds the consumer project beside this script against it alone, runs it and checks its output.
# Run by ctest as
#   cmake -DBUILD_DIR=<madlab build> -DWORK_DIR=<scratch> -DMADLAB_SOURCE_DIR=<madlab source>
#         -DGENERATOR=<gen> -DMAKE_PROGRAM=<prog> -DCXX_COMPILER=<c++> -DBUILD_TYPE=<type>
#         -P check_install.cmake
# It needs a built tree (`cmake --install` copies, it does not build). Fails with a message
# that names the step that went wrong.
cmake_minimum_required(VERSION 3.22)

foreach(var BUILD_DIR WORK_DIR MADLAB_SOURCE_DIR GENERATOR CXX_COMPILER BUILD_TYPE)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_install.cmake: -D${var}=... is required")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/consumer)
# A fresh prefix every run, so that files a former build installed cannot hide a missing one.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# Runs a command; on failure stops with `what` and the command's output.
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install test: ${what} failed (${rc}):\n${out}")
  endif()
endfunction()

run_step("cmake --install ${BUILD_DIR} --prefix ${prefix}"
  ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# Everything the README promises is there: the binary, the headers, one library per layer
# and the package files.
set(missing)
foreach(file bin/madlab include/madlab/study/study_config.h include/madlab/core/matrix.h)
  if(NOT EXISTS ${prefix}/${file})
    list(APPEND missing ${file})
  endif()
endforeach()
foreach(layer core data models metrics loop store study report)
  file(GLOB_RECURSE found ${prefix}/libmadlab_${layer}.a)
  if(NOT found)
    list(APPEND missing libmadlab_${layer}.a)
  endif()
endforeach()
file(GLOB_RECURSE config ${prefix}/madlabConfig.cmake)
file(GLOB_RECURSE config_version ${prefix}/madlabConfigVersion.cmake)
if(NOT config OR NOT config_version)
  list(APPEND missing madlabConfig.cmake/madlabConfigVersion.cmake)
endif()
if(missing)
  message(FATAL_ERROR "install test: not installed under ${prefix}: ${missing}")
endif()

# An installed header may include only installed headers (or other packages'): one that
# includes a header under src/ compiles here but not for a user.
file(GLOB_RECURSE headers RELATIVE ${prefix}/include ${prefix}/include/*.h)
set(dangling)
foreach(header IN LISTS headers)
  file(STRINGS ${prefix}/include/${header} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[^\"]*\"([^\"]*)\".*$" "\\1" included "${line}")
    get_filename_component(dir ${header} DIRECTORY)
    if(NOT EXISTS ${prefix}/include/${included} AND NOT EXISTS ${prefix}/include/${dir}/${included})
      list(APPEND dangling "${header} includes \"${included}\"")
    endif()
  endforeach()
endforeach()
if(dangling)
  list(JOIN dangling "\n  " dangling)
  message(FATAL_ERROR "install test: installed headers include headers that are not installed:\n"
                      "  ${dangling}")
endif()

# The package must be relocatable and must not point back into the source or build tree
# (a plain include path instead of $<BUILD_INTERFACE:...> would).
get_filename_component(cmake_dir ${config} DIRECTORY)
file(GLOB package_files ${cmake_dir}/*.cmake)
foreach(file IN LISTS package_files)
  file(READ ${file} text)
  foreach(tree ${MADLAB_SOURCE_DIR}/include ${MADLAB_SOURCE_DIR}/src ${BUILD_DIR})
    string(FIND "${text}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "install test: ${file} names ${tree}; the package must use only "
                          "paths relative to its prefix")
    endif()
  endforeach()
endforeach()

# The consumer sees only the prefix (and the system): no package registry, so a madlab
# registered by some other build cannot stand in for the installed one.
set(configure_args -S ${CMAKE_CURRENT_LIST_DIR} -B ${consumer_build} -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
run_step("configuring the consumer project with find_package(madlab)"
  ${CMAKE_COMMAND} ${configure_args})
file(STRINGS ${consumer_build}/CMakeCache.txt madlab_dir REGEX "^madlab_DIR:")
string(FIND "${madlab_dir}" "=${prefix}/" at)
if(NOT at GREATER -1)
  message(FATAL_ERROR "install test: the consumer found madlab elsewhere than ${prefix}: "
                      "${madlab_dir}")
endif()
run_step("building the consumer project against the installed madlab"
  ${CMAKE_COMMAND} --build ${consumer_build})

file(GLOB_RECURSE consumer ${consumer_build}/madlab_consumer)
execute_process(COMMAND ${consumer} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
# The default study (4 settings x 10 seeds), the closed-form Gaussian fit of the square's
# corners, and the vega build compiled into the report layer (see main.cpp).
set(expected "study mad-grid25 settings=4 seeds=10
gaussian mean=1.000,1.000 cov=1.000,0.000,1.000
report vega_js=ok
")
if(NOT rc EQUAL 0 OR NOT out STREQUAL expected)
  message(FATAL_ERROR "install test: the consumer program (exit ${rc}) printed\n${out}${err}"
                      "expected\n${expected}")
endif()
message(STATUS "install test: the installed madlab package builds and runs a consumer")
