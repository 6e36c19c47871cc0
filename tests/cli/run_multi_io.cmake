# `cnnc run` on a model with two inputs and three outputs (tests/models/heads.cnn):
# one --input per input, in declaration order; --output y.npy writes y.npy,
# y_1.npy, y_2.npy and --output y.npz one .npz keyed by the output names, both
# PyTorch's outputs (checked with numpy when /usr/bin/python3 has it); a wrong
# count or shape of inputs is an error naming the inputs; --random-input fills
# every input; bench runs it; --help explains.
set(FX ${SRC}/tests/fixtures/heads)
set(MODEL ${SRC}/tests/models/heads.cnn)
file(REMOVE ${OUT}/heads_y.npy ${OUT}/heads_y_1.npy ${OUT}/heads_y_2.npy ${OUT}/heads.npz)
foreach(target y.npy .npz)
  set(dest ${OUT}/heads_y.npy)
  if(target STREQUAL ".npz")
    set(dest ${OUT}/heads.npz)
  endif()
  execute_process(COMMAND ${CNNC} run ${MODEL} --weights ${FX}/weights.safetensors
                          --input ${FX}/input.npy --input ${FX}/input_1.npy --output ${dest}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "output head1 \\[5, 6, 18\\]\nfirst values: 0.1489"
     OR NOT out MATCHES "output head2 \\[10, 12, 18\\]" OR NOT out MATCHES "output c3 \\[5, 6, 24\\]")
    message(FATAL_ERROR "cnnc run of two inputs and three outputs failed (${rc}):\n${out}${err}")
  endif()
endforeach()
foreach(f heads_y.npy heads_y_1.npy heads_y_2.npy heads.npz)
  if(NOT EXISTS ${OUT}/${f})
    message(FATAL_ERROR "--output did not write ${OUT}/${f}")
  endif()
endforeach()
if(EXISTS /usr/bin/python3)
  execute_process(COMMAND /usr/bin/python3 -c "import numpy" RESULT_VARIABLE nonumpy)
endif()
if(EXISTS /usr/bin/python3 AND nonumpy EQUAL 0)
  set(check "import numpy as np, sys
z = np.load(sys.argv[1] + '/heads.npz')
assert z.files == ['head1', 'head2', 'c3'], z.files
for k, name in enumerate(z.files):
    want = np.load(sys.argv[2] + '/expected' + ('_%d' % k if k else '') + '.npy')
    got = np.load(sys.argv[1] + '/heads_y' + ('_%d' % k if k else '') + '.npy')
    assert z[name].dtype == np.float32 and z[name].shape == want.shape, (name, z[name].shape)
    assert np.abs(z[name] - want).max() < 1e-5 and np.array_equal(got, z[name]), name
print('ok')")
  execute_process(COMMAND /usr/bin/python3 -c "${check}" ${OUT} ${FX}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "ok")
    message(FATAL_ERROR "numpy could not read the outputs back as PyTorch's (${rc}):\n${out}${err}")
  endif()
else()
  message(STATUS "no numpy: the .npz entries are checked by tests/runtime (test_io.cpp) only")
endif()
execute_process(COMMAND ${CNNC} run ${MODEL} --random-weights 1 --input ${FX}/input.npy
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1 OR NOT err MATCHES "model 'heads' has 2 inputs \\(image, extra\\): give one --input FILE.npy per input, in that order; got 1")
  message(FATAL_ERROR "one --input for two inputs should fail with exit 1; got ${rc}: ${err}")
endif()
execute_process(COMMAND ${CNNC} run ${MODEL} --random-weights 1 --input ${FX}/input_1.npy --input ${FX}/input.npy
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1 OR NOT err MATCHES "input 'image' has shape \\[10, 12, 5\\], model 'heads' expects \\[20, 24, 3\\]")
  message(FATAL_ERROR "swapped inputs should fail with exit 1 naming the input; got ${rc}: ${err}")
endif()
execute_process(COMMAND ${CNNC} run ${MODEL} --random-weights 1 --random-input 2 --batch 2
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "output head2 \\[2, 10, 12, 18\\]" OR NOT out MATCHES "image 1: top index")
  message(FATAL_ERROR "--random-input with two inputs and --batch 2 failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} bench ${MODEL} --runs 3 --layers
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "median [0-9.]+ ms" OR NOT out MATCHES "head2 +conv2d")
  message(FATAL_ERROR "cnnc bench of two inputs failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${CNNC} run --help OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "one --input per input" OR NOT out MATCHES "FILE_1.npy")
  message(FATAL_ERROR "cnnc run --help should explain several inputs and outputs:\n${out}")
endif()
