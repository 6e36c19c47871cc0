# `cnnc --version`: the project's version, the git commit (in a checkout) and LLVM's.
execute_process(COMMAND ${CNNC} --version OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cnnc --version failed (${rc}):\n${out}${err}")
endif()
if(NOT out MATCHES "^cnnc [0-9]+\\.[0-9]+\\.[0-9]+( \\(git [0-9a-f]+\\))?\nLLVM 16\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "unexpected --version output:\n${out}")
endif()
