# Fails when a generated reference page differs from its checked-in copy.
# Usage: cmake -DGENERATED=<file> -DCHECKED_IN=<file> -P CompareGeneratedDoc.cmake
if(NOT EXISTS "${GENERATED}")
  message(FATAL_ERROR "error: ${GENERATED} was not generated; build the "
                      "qtensor-docs target first")
endif()
if(NOT EXISTS "${CHECKED_IN}")
  message(FATAL_ERROR "error: ${CHECKED_IN} is missing; run "
                      "`cmake --build build --target qtensor-update-docs`")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${GENERATED}" "${CHECKED_IN}"
                RESULT_VARIABLE differs)
if(differs)
  message(FATAL_ERROR "error: ${CHECKED_IN} is out of date with the .td files; "
                      "run `cmake --build build --target qtensor-update-docs` "
                      "and commit the result")
endif()
message(STATUS "${CHECKED_IN} matches the generated reference")
