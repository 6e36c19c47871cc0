# cnnc_add_model(NAME MODEL model.cnn|.onnx [WEIGHTS w.safetensors] [TARGET isa]
#                [TRIPLE triple] [BATCH n] [PREFIX id])
# Runs `cnnc compile` at build time (again only when the model, the weights or
# cnnc change) and makes NAME a static library target: the model's object,
# its header NAME.h (#include "NAME.h": NAME_create/NAME_run/NAME_destroy and
# the C++ class PREFIX::Model; PREFIX defaults to NAME) and cnnc::runtime.
# WEIGHTS embeds them, packed; without it the program passes a safetensors
# file to NAME_create. The compiler is cnnc::tool, or CNNC_EXECUTABLE (a
# runtime-only package, cross-compiled: the build machine's cnnc).
function(cnnc_add_model name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MODEL;WEIGHTS;TARGET;TRIPLE;BATCH;PREFIX" "")
  if(NOT arg_MODEL)
    message(FATAL_ERROR "cnnc_add_model(${name}): MODEL is required")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "cnnc_add_model(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(prefix ${name})
  if(arg_PREFIX)
    set(prefix ${arg_PREFIX})
  endif()
  get_filename_component(model "${arg_MODEL}" ABSOLUTE)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/cnnc_models/${name}")
  set(object "${dir}/${name}${CMAKE_C_OUTPUT_EXTENSION}")
  if(NOT CMAKE_C_OUTPUT_EXTENSION)
    set(object "${dir}/${name}.o")
  endif()
  set(args compile "${model}" -o "${object}" --header "${dir}/${name}.h" --prefix ${prefix})
  set(deps "${model}")
  if(arg_WEIGHTS)
    get_filename_component(weights "${arg_WEIGHTS}" ABSOLUTE)
    list(APPEND args --weights "${weights}")
    list(APPEND deps "${weights}")
  endif()
  if(arg_TARGET)
    list(APPEND args --target ${arg_TARGET})
  endif()
  if(arg_TRIPLE)
    list(APPEND args --triple ${arg_TRIPLE})
  endif()
  if(arg_BATCH)
    list(APPEND args --batch ${arg_BATCH})
  endif()
  if(CNNC_EXECUTABLE)
    set(tool "${CNNC_EXECUTABLE}")
  elseif(TARGET cnnc::tool)
    set(tool cnnc::tool)
  else()
    message(FATAL_ERROR "cnnc_add_model(${name}): this cnnc package has no cnnc command "
                        "(runtime only): set CNNC_EXECUTABLE to the build machine's cnnc")
  endif()
  add_custom_command(OUTPUT "${object}" "${dir}/${name}.h"
                     COMMAND ${CMAKE_COMMAND} -E make_directory "${dir}"
                     COMMAND ${tool} ${args}
                     DEPENDS ${deps} ${tool}
                     COMMENT "cnnc compile ${arg_MODEL}"
                     VERBATIM)
  add_library(${name} STATIC "${object}" "${dir}/${name}.h")
  set_source_files_properties("${object}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  set_target_properties(${name} PROPERTIES LINKER_LANGUAGE CXX)
  target_include_directories(${name} PUBLIC "${dir}")
  target_link_libraries(${name} PUBLIC cnnc::runtime)
endfunction()
