# Fails unless each of FILES (';'-separated binaries) depends only on the C
# and C++ runtimes, a sanitizer runtime in sanitized builds, and the
# libraries matching ALLOWED_EXTRA (a regex; may be empty); imports no LLVM,
# MLIR, LibTorch or CUDA driver symbol; and that the first of FILES exports
# each function in EXPORTS (when given).
# Usage: cmake -DFILES=<a;b> [-DALLOWED_EXTRA=<regex>] [-DEXPORTS=<f;g>]
#              -P CheckDependencies.cmake

find_program(READELF readelf REQUIRED)
find_program(NM nm REQUIRED)

set(allowed "^(libc|libm|libdl|libpthread|librt|libstdc\\+\\+|libgcc_s|ld-linux-x86-64|libasan|libubsan|libtsan|liblsan)\\.so")
list(GET FILES 0 first_file)
foreach(file ${FILES})
  execute_process(COMMAND ${READELF} --dynamic --wide ${file}
    OUTPUT_VARIABLE dynamic RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "readelf failed on ${file}")
  endif()
  string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[([^]]*)\\]" needed_lines "${dynamic}")
  foreach(line ${needed_lines})
    string(REGEX REPLACE ".*\\[([^]]*)\\]" "\\1" library "${line}")
    message(STATUS "${file}: NEEDED ${library}")
    if(NOT library MATCHES "${allowed}" AND
       (ALLOWED_EXTRA STREQUAL "" OR NOT library MATCHES "${ALLOWED_EXTRA}"))
      message(FATAL_ERROR "${file} depends on ${library}, which is not on "
                          "its allow-list")
    endif()
  endforeach()

  execute_process(COMMAND ${NM} --dynamic --undefined-only ${file}
    OUTPUT_VARIABLE undefined RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "nm failed on ${file}")
  endif()
  if(undefined MATCHES "[ \n](cu[A-Z][A-Za-z0-9_]*)")
    message(FATAL_ERROR "${file} imports the driver symbol ${CMAKE_MATCH_1}: "
                        "driver entry points are resolved with dlsym only")
  endif()
  if(undefined MATCHES "[ \n](_ZN4mlir|_ZN4llvm|_ZN3c10|_ZN2at|_ZN5torch)")
    message(FATAL_ERROR "${file} imports LLVM, MLIR or LibTorch symbols")
  endif()

  if(EXPORTS AND file STREQUAL first_file)
    execute_process(COMMAND ${NM} --dynamic --defined-only ${file}
      OUTPUT_VARIABLE defined)
    foreach(function ${EXPORTS})
      if(NOT defined MATCHES " T ${function}\n")
        message(FATAL_ERROR "${file} does not export ${function}")
      endif()
    endforeach()
  endif()
  message(STATUS "${file}: dependencies and exports as required")
endforeach()
