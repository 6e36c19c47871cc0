# `cnnc compile`: writes the object and the header (ONNX too, its weights
# embedded); wrong weights, an unknown triple, an x86 target for aarch64 and a
# bad prefix are exit 1 with the reason; a missing -o is a usage error (exit 2).
set(M ${SRC}/examples/seed/lenet.cnn)
set(FX ${SRC}/tests/fixtures/lenet)
function(expect rc_want text)
  execute_process(COMMAND ${CNNC} ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  string(FIND "${out}${err}" "${text}" at)
  if(NOT rc EQUAL rc_want OR at EQUAL -1)
    message(FATAL_ERROR "cnnc ${ARGN}: expected exit ${rc_want} and '${text}'; got ${rc}:\n${out}${err}")
  endif()
endfunction()
file(REMOVE ${OUT}/c_lenet.o ${OUT}/c_lenet.h)
expect(0 "wrote ${OUT}/c_lenet.o and ${OUT}/c_lenet.h (model 'lenet'"
       compile ${M} -o ${OUT}/c_lenet.o --header ${OUT}/c_lenet.h --weights ${FX}/weights.safetensors)
file(READ ${OUT}/c_lenet.h h)
foreach(want "#define LENET_WEIGHTS_EMBEDDED 1" "static inline cnnc_context *lenet_create("
             "namespace lenet {" "#define LENET_OUTPUT_SIZE LENET_OUTPUT0_SIZE")
  string(FIND "${h}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "c_lenet.h lacks '${want}':\n${h}")
  endif()
endforeach()
file(SIZE ${OUT}/c_lenet.o size)
if(size LESS 200000) # LeNet's 61,706 weights, packed, are in it
  message(FATAL_ERROR "c_lenet.o is ${size} bytes: the weights are not embedded")
endif()
expect(0 "wrote ${OUT}/c_convs.o" compile ${SRC}/tests/onnx/convs.onnx -o ${OUT}/c_convs.o
       --batch 2 --prefix convs)
expect(1 "missing weight 'probs.weight'" compile ${M} -o ${OUT}/c_x.o
       --weights ${SRC}/tests/fixtures/mnist_pool/weights.safetensors)
expect(1 "unsupported target triple 'riscv64-linux-gnu'" compile ${M} -o ${OUT}/c_x.o
       --triple riscv64-linux-gnu)
expect(1 "x86-64's" compile ${M} -o ${OUT}/c_x.o --triple aarch64-linux-gnu --target avx2)
expect(1 "is not a C identifier" compile ${M} -o ${OUT}/c_x.o --prefix 9lives)
expect(2 "--output is required" compile ${M})
