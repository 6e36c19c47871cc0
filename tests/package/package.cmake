# cmake --install to a fresh prefix, then two projects built against it alone:
# examples/aot (cnnc_add_model: LeNet with its weights embedded, mnist_pool
# with them loaded at run time) must print and save exactly what the JIT's
# cnnc run does and link no LLVM; examples/api (cnnc::cnnc, the JIT API) must run.
# -DBIN=build dir -DSRC=source dir -DOUT=scratch dir -DCNNC=the build's cnnc
set(P ${OUT}/prefix)
file(REMOVE_RECURSE ${OUT})
include(${CMAKE_CURRENT_LIST_DIR}/run.cmake)
run("cmake --install" ${CMAKE_COMMAND} --install ${BIN} --prefix ${P})

# model, fixture, embed?
foreach(case "lenet;lenet;ON" "mnist_pool;mnist_pool;OFF")
  list(GET case 0 model)
  list(GET case 1 fx)
  list(GET case 2 embed)
  set(FX ${SRC}/tests/fixtures/${fx})
  set(B ${OUT}/aot_${model})
  set(weights "")
  set(runtimeWeights "")
  if(embed)
    set(weights ${FX}/weights.safetensors)
  else()
    set(runtimeWeights --weights ${FX}/weights.safetensors)
  endif()
  run("configuring examples/aot (${model})" ${CMAKE_COMMAND} -S ${SRC}/examples/aot -B ${B}
      -DCMAKE_PREFIX_PATH=${P} -DMODEL=${SRC}/examples/seed/${model}.cnn -DWEIGHTS=${weights})
  run("building examples/aot (${model})" ${CMAKE_COMMAND} --build ${B})
  run("classify (${model})" ${B}/classify ${FX}/input.npy ${runtimeWeights} --output ${B}/aot.npy)
  set(aot "${out}")
  run("cnnc run (${model})" ${CNNC} run ${SRC}/examples/seed/${model}.cnn
      --weights ${FX}/weights.safetensors --input ${FX}/input.npy --output ${B}/jit.npy)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${B}/aot.npy ${B}/jit.npy
                  RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "${model}: the AOT program's output differs from cnnc run's (bit for bit)")
  endif()
  string(REGEX MATCH "^[0-9]+" top "${aot}")
  message(STATUS "${model}: top class ${top}, outputs equal to the JIT's bit for bit")
  run("ldd (${model})" ldd ${B}/classify)
  if(out MATCHES "LLVM|cnnc")
    message(FATAL_ERROR "${model}: the AOT program links LLVM or a cnnc shared library:\n${out}")
  endif()
endforeach()

# A model that cannot load its weights says why and fails.
execute_process(COMMAND ${OUT}/aot_mnist_pool/classify ${SRC}/tests/fixtures/mnist_pool/input.npy
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(rc EQUAL 0 OR NOT err MATCHES "no weights in its object")
  message(FATAL_ERROR "classify without weights should fail saying so; got ${rc}: ${err}")
endif()

# The JIT API through find_package(cnnc) and cnnc::cnnc.
run("configuring examples/api" ${CMAKE_COMMAND} -S ${SRC}/examples/api -B ${OUT}/api
    -DCMAKE_PREFIX_PATH=${P})
run("building examples/api" ${CMAKE_COMMAND} --build ${OUT}/api)
run("api_example" ${OUT}/api/api_example ${SRC}/examples/seed/lenet.cnn)
if(NOT out MATCHES "lenet: 61706 parameters")
  message(FATAL_ERROR "api_example printed:\n${out}")
endif()
