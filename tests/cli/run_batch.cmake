# `cnnc run --batch N` runs N images and prints each one's top index; an input
# without the batch axis is then an error (exit 1), a batch of 0 a usage error
# (exit 2); `cnnc bench --batch N` reports images per second.
set(LENET ${SRC}/examples/seed/lenet.cnn)
execute_process(COMMAND ${CNNC} run ${LENET} --batch 3 --random-weights 1 --random-input 2
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "output probs \\[3, 10\\]" OR NOT out MATCHES "image 2: top index")
  message(FATAL_ERROR "cnnc run --batch 3 failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} run ${LENET} --batch 2 --random-weights 1
                        --input ${SRC}/tests/fixtures/lenet/input.npy
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1 OR NOT err MATCHES "compiled for a batch of 2")
  message(FATAL_ERROR "one image into a batch-2 model should fail with exit 1; got ${rc}: ${err}")
endif()
execute_process(COMMAND ${CNNC} run ${LENET} --batch 0 --random-weights 1 --random-input 2
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--batch")
  message(FATAL_ERROR "--batch 0 should be a usage error (exit 2); got ${rc}: ${err}")
endif()
execute_process(COMMAND ${CNNC} bench ${LENET} --batch 4 --runs 3
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "batch 4: [0-9.]+ ms per image, [0-9.]+ images/s")
  message(FATAL_ERROR "cnnc bench --batch 4 failed (${rc}):\n${out}${err}")
endif()
