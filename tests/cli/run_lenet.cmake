# `cnnc run` on LeNet with PyTorch's weights and input writes PyTorch's output;
# a bad .npy is an error with exit code 1.
set(FX ${SRC}/tests/fixtures/lenet)
execute_process(COMMAND ${CNNC} run ${SRC}/examples/seed/lenet.cnn --weights ${FX}/weights.safetensors
                        --input ${FX}/input.npy --output ${OUT}/lenet_y.npy
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cnnc run failed (${rc}): ${err}")
endif()
string(FIND "${out}" "class 6  0.2311" top)
if(top EQUAL -1)
  message(FATAL_ERROR "PyTorch's top class (6, p=0.2311...) missing from:\n${out}")
endif()
file(WRITE ${OUT}/bad.npy "\x93NUMPY garbage")
execute_process(COMMAND ${CNNC} run ${SRC}/examples/seed/lenet.cnn --random-weights 1 --input ${OUT}/bad.npy
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1 OR NOT err MATCHES "bad.npy")
  message(FATAL_ERROR "a bad .npy should fail with exit code 1 naming the file; got ${rc}: ${err}")
endif()
