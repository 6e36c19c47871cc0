# `cnnc weights MODEL`: every weight key with its PyTorch shape, then the
# parameter count (LeNet's 61,706, as in its summary); a bad model is exit 1.
execute_process(COMMAND ${CNNC} weights ${SRC}/examples/seed/lenet.cnn OUTPUT_VARIABLE out
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cnnc weights failed (${rc}):\n${out}${err}")
endif()
foreach(want "conv2d.weight    [6, 1, 5, 5]\n" "conv2d.bias      [6]\n" "conv2d_1.weight  [16, 6, 5, 5]\n"
             "dense.weight     [120, 400]\n" "probs.weight     [10, 84]\n" "probs.bias       [10]\n"
             "10 tensors, 61706 parameters\n")
  string(FIND "${out}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "missing '${want}' in:\n${out}")
  endif()
endforeach()
file(WRITE ${OUT}/weights_bad.cnn "model t {\n  input x: f32[8, 8, 1]\n  Conv2D(filters=4, kernel=3)\n}\n")
execute_process(COMMAND ${CNNC} weights ${OUT}/weights_bad.cnn OUTPUT_VARIABLE out ERROR_VARIABLE err
                RESULT_VARIABLE rc)
string(FIND "${err}" "weights_bad.cnn:3:3: error: unknown op 'Conv2D'; 'Conv2D' is Keras's name: cnnc's op is 'conv2d'" at)
if(NOT rc EQUAL 1 OR at EQUAL -1)
  message(FATAL_ERROR "expected exit 1 and the Keras hint, got ${rc}:\n${err}")
endif()
