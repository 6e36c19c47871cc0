# A note follows its error in the same format: file:line:col: note:, the line, a caret.
file(WRITE ${OUT}/note.cnn "model t {\n  input x: f32[32, 32, 3]\n  a = conv2d(x, filters=8, kernel=3, padding=same)\n  b = conv2d(x, filters=8, kernel=3)\n  c = add(a, b)\n}\n")
execute_process(COMMAND ${CNNC} summary ${OUT}/note.cnn OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
set(want "note.cnn:5:7: error: add needs inputs of one shape, or an image and a vector of its channels, got f32[32, 32, 8] and f32[30, 30, 8]
    c = add(a, b)
        ^
${OUT}/note.cnn:4:7: note: 'b' has padding=valid, which shrank it from 32x32 to 30x30
    b = conv2d(x, filters=8, kernel=3)
        ^
")
string(FIND "${err}" "${want}" at)
if(NOT rc EQUAL 1 OR at EQUAL -1)
  message(FATAL_ERROR "expected exit 1 and the error with its note, got ${rc}:\n${err}")
endif()
