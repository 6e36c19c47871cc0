# `cnnc ops` lists every op of the table (ir/Ops.def) with its arguments and
# defaults, one per line; `cnnc --help` points at it.
execute_process(COMMAND ${CNNC} ops OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cnnc ops failed (${rc}):\n${out}${err}")
endif()
file(STRINGS ${SRC}/ir/Ops.def rows REGEX "^(OP|ACT)\\([A-Za-z0-9]+, *\"[a-z0-9_]+\"")
list(LENGTH rows count)
if(count LESS 30)
  message(FATAL_ERROR "read only ${count} OP/ACT rows from Ops.def")
endif()
foreach(row ${rows})
  string(REGEX REPLACE "^[A-Z]+\\([A-Za-z0-9]+, *\"([a-z0-9_]+)\".*" "\\1" name "${row}")
  if(name STREQUAL "input" OR name STREQUAL "activation")
    continue()
  endif()
  if(NOT out MATCHES "(^|\n)${name}\\(")
    message(FATAL_ERROR "cnnc ops does not list '${name}':\n${out}")
  endif()
endforeach()
set(out "\n${out}") # every line starts after a newline
foreach(want
    "\nconv2d(filters, kernel, stride=1, padding=valid, dilation=1, groups=1, use_bias=true, activation=linear)\n"
    "\nmaxpool2d(size=2, stride=size, padding=valid, ceil_mode=false, count_include_pad=true)\navgpool2d("
    "\nadd(a, b)\nsub(a, b)\nmul(a, b)\ndiv(a, b)\n"
    "\nconcat(a, b, ...)\n"
    "\nupsample2d(scale=2, size=none, mode=nearest, align_corners=false)\n"
    "\nclip(min, max)\n" "\nleaky_relu(alpha=0.3)\n" "\ngelu(approximate=none)\n" "\nsoftmax(axis=-1)\n"
    "split(x, parts)")
  string(FIND "${out}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "missing '${want}' in:\n${out}")
  endif()
endforeach()
execute_process(COMMAND ${CNNC} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
string(FIND "${help}" "cnnc ops" at)
if(NOT rc EQUAL 0 OR at EQUAL -1)
  message(FATAL_ERROR "cnnc --help does not mention cnnc ops (${rc}):\n${help}")
endif()
