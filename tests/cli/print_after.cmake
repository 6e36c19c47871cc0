# `--print-after` takes the pipeline's pass names (listed in --help): known ones
# print the IR, an unknown one is a usage error (exit 2) naming the valid ones.
set(LENET ${SRC}/examples/seed/lenet.cnn)
execute_process(COMMAND ${CNNC} --help OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "comma-separated\\): parsed, infer-shapes, [a-z, -]*plan-memory")
  message(FATAL_ERROR "--help should list the passes (${rc}):\n${out}")
endif()
execute_process(COMMAND ${CNNC} --print-after parsed,fuse ${LENET}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "// after parsed\n" OR NOT out MATCHES "// after fuse\n")
  message(FATAL_ERROR "--print-after parsed,fuse failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} --print-after fuse,fusion ${LENET}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 2 OR NOT out STREQUAL ""
   OR NOT err MATCHES "--print-after: unknown pass 'fusion' \\(passes: parsed, infer-shapes, ")
  message(FATAL_ERROR "an unknown pass should be a usage error (exit 2); got ${rc}:\n${out}${err}")
endif()
