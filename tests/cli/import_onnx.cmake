# `cnnc import MODEL.onnx -o NAME.cnn` writes NAME.cnn and NAME.safetensors, which
# `cnnc run` takes like any .cnn model (channels-last); without -o the files go
# to the current directory under the model's name; a path that is not .cnn and
# an unsupported model are errors (exit 1).
set(D ${SRC}/tests/onnx)
set(W ${OUT}/import)
file(REMOVE_RECURSE ${W})
file(MAKE_DIRECTORY ${W})
execute_process(COMMAND ${CNNC} import ${D}/graph.onnx -o ${W}/g.cnn
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "wrote .*/g.cnn \\([0-9]+ layers\\) and .*/g.safetensors"
   OR NOT EXISTS ${W}/g.cnn OR NOT EXISTS ${W}/g.safetensors)
  message(FATAL_ERROR "cnnc import graph.onnx -o g.cnn failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} run ${W}/g.cnn --weights ${W}/g.safetensors --random-input 1
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "output fc \\[5\\]")
  message(FATAL_ERROR "cnnc run of the imported g.cnn failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} import ${D}/convs.onnx WORKING_DIRECTORY ${W}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT EXISTS ${W}/convs.cnn OR NOT EXISTS ${W}/convs.safetensors)
  message(FATAL_ERROR "cnnc import convs.onnx (no -o) failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} import ${D}/graph.onnx -o ${W}/g.txt
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1 OR NOT err MATCHES "g.txt: error: the output must be a .cnn path")
  message(FATAL_ERROR "cnnc import -o g.txt: expected an error (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} import ${D}/errors/unsupported.onnx -o ${W}/u.cnn
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1 OR NOT err MATCHES "node 'abs1' \\(Abs\\): op type not supported")
  message(FATAL_ERROR "cnnc import unsupported.onnx: expected the importer's error (${rc}):\n${out}${err}")
endif()
