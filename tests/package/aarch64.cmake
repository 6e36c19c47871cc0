# cnnc compile --triple aarch64-linux-gnu, run under qemu: libcnnc_runtime
# cross-built (-DCNNC_RUNTIME_ONLY=ON, cmake/aarch64-linux-gnu.cmake), then
# examples/aot linked for LeNet, mnist_pool and ResNet-18 and run with
# qemu-aarch64; each output must be within 1e-5 (relative to its largest
# value) of the x86 JIT's. Skipped, saying so, without the cross tools.
# -DSRC=source dir -DOUT=scratch dir -DCNNC=the build's cnnc -DPYTHON=python3 with numpy
find_program(CXX_ARM aarch64-linux-gnu-g++)
find_program(QEMU qemu-aarch64)
if(NOT CXX_ARM OR NOT QEMU)
  message("SKIPPED: needs g++-aarch64-linux-gnu and qemu-user (Debian packages; .ci/run installs them)")
  return()
endif()
set(TOOLCHAIN ${SRC}/cmake/aarch64-linux-gnu.cmake)
set(TOOL ${CMAKE_CURRENT_LIST_DIR}/npy_tool.py)
include(${CMAKE_CURRENT_LIST_DIR}/run.cmake)
file(REMOVE_RECURSE ${OUT}/prefix ${OUT}/aot_lenet ${OUT}/aot_mnist_pool ${OUT}/aot_resnet18)
run("configuring the aarch64 runtime" ${CMAKE_COMMAND} -S ${SRC} -B ${OUT}/runtime
    -DCNNC_RUNTIME_ONLY=ON -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN} -DCMAKE_BUILD_TYPE=Release)
run("building the aarch64 runtime" ${CMAKE_COMMAND} --build ${OUT}/runtime -j 2)
run("installing the aarch64 runtime" ${CMAKE_COMMAND} --install ${OUT}/runtime --prefix ${OUT}/prefix)

# model, its input's shape, its file
foreach(case "lenet;32,32,1;seed/lenet" "mnist_pool;28,28,1;seed/mnist_pool"
             "resnet18;224,224,3;resnet18")
  list(GET case 0 model)
  list(GET case 1 dims)
  list(GET case 2 path)
  set(B ${OUT}/aot_${model})
  set(M ${SRC}/examples/${path}.cnn)
  file(MAKE_DIRECTORY ${B})
  # Seeded random weights and input (the same ones for both machines).
  run("writing x.npy (${model})" ${PYTHON} ${TOOL} random ${B}/x.npy ${dims})
  run("the x86 JIT (${model})" ${CNNC} run ${M} --random-weights 7 --input ${B}/x.npy
      --save-weights ${B}/w.safetensors --output ${B}/jit.npy)
  run("configuring examples/aot for aarch64 (${model})" ${CMAKE_COMMAND} -S ${SRC}/examples/aot
      -B ${B} -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN} -DCMAKE_PREFIX_PATH=${OUT}/prefix
      -DCNNC_EXECUTABLE=${CNNC} -DTRIPLE=aarch64-linux-gnu -DMODEL=${M}
      -DWEIGHTS=${B}/w.safetensors)
  run("building examples/aot for aarch64 (${model})" ${CMAKE_COMMAND} --build ${B})
  run("classify under qemu (${model})" ${QEMU} -L /usr/aarch64-linux-gnu ${B}/classify ${B}/x.npy
      --output ${B}/arm.npy)
  run("comparing (${model})" ${PYTHON} ${TOOL} compare ${B}/arm.npy ${B}/jit.npy 1e-5 ${model})
  message(STATUS "${out}")
endforeach()
