# `cnnc run MODEL.onnx`: the weights come from the file, --input and --output are
# in the ONNX graph's own layout (NCHW in, [1, 5] out here); summary reads .onnx
# too; an unsupported model is one error listing every unsupported node, exit 1.
set(D ${SRC}/tests/onnx)
file(REMOVE ${OUT}/onnx_y.npy)
execute_process(COMMAND ${CNNC} run ${D}/graph.onnx --input ${D}/graph.x.npy --output ${OUT}/onnx_y.npy
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "output fc \\[1, 5\\]" OR NOT EXISTS ${OUT}/onnx_y.npy)
  message(FATAL_ERROR "cnnc run graph.onnx failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} summary ${D}/convs.onnx
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Conv2D" OR NOT out MATCHES "Dense")
  message(FATAL_ERROR "cnnc summary convs.onnx failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} run ${D}/errors/unsupported.onnx --random-input 1
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1 OR NOT err MATCHES "node 'abs1' \\(Abs\\): op type not supported\n  node 'floor1'")
  message(FATAL_ERROR "cnnc run unsupported.onnx: expected one error listing both (${rc}):\n${out}${err}")
endif()
