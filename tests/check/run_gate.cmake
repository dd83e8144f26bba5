# Runs `dpurun check BASELINE`; skips (77) where ../shared is missing.
if(NOT EXISTS "${SHARED}/data/cifar10-test-jpg")
  message("skipped: needs ${SHARED} (the shared models and data beside the repository); not found")
  cmake_language(EXIT 77)
endif()
execute_process(COMMAND "${CLI}" check "${BASELINE}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dpurun check ${BASELINE} exited ${rc}")
endif()
