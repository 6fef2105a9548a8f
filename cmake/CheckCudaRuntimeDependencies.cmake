# Fails unless LIBRARY (libQTensorCudaRuntime.so) depends only on the C and
# C++ runtimes (and a sanitizer runtime in sanitized builds), imports no
# CUDA driver symbol, and exports every mgpu* function of its header.
# Usage: cmake -DLIBRARY=<path> -P CheckCudaRuntimeDependencies.cmake

find_program(READELF readelf REQUIRED)
find_program(NM nm REQUIRED)

execute_process(COMMAND ${READELF} --dynamic --wide ${LIBRARY}
  OUTPUT_VARIABLE dynamic RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "readelf failed on ${LIBRARY}")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[([^]]*)\\]" needed_lines "${dynamic}")
set(allowed "^(libc|libm|libdl|libpthread|librt|libstdc\\+\\+|libgcc_s|ld-linux-x86-64|libasan|libubsan|libtsan|liblsan)\\.so")
foreach(line ${needed_lines})
  string(REGEX REPLACE ".*\\[([^]]*)\\]" "\\1" library "${line}")
  message(STATUS "NEEDED ${library}")
  if(NOT library MATCHES "${allowed}")
    message(FATAL_ERROR "${LIBRARY} depends on ${library}; the CUDA runtime "
                        "may need only the C/C++ runtimes and libdl")
  endif()
endforeach()

execute_process(COMMAND ${NM} --dynamic --undefined-only ${LIBRARY}
  OUTPUT_VARIABLE undefined RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIBRARY}")
endif()
if(undefined MATCHES "[ \n](cu[A-Z][A-Za-z0-9_]*)")
  message(FATAL_ERROR "${LIBRARY} imports the driver symbol ${CMAKE_MATCH_1}: "
                      "driver entry points are resolved with dlsym only")
endif()
if(undefined MATCHES "[ \n](_ZN4mlir|_ZN4llvm|_ZN3c10|_ZN2at|_ZN5torch)")
  message(FATAL_ERROR "${LIBRARY} imports LLVM, MLIR or LibTorch symbols")
endif()

execute_process(COMMAND ${NM} --dynamic --defined-only ${LIBRARY}
  OUTPUT_VARIABLE defined)
foreach(function mgpuModuleLoad mgpuModuleLoadJIT mgpuModuleUnload
                 mgpuModuleGetFunction mgpuLaunchKernel mgpuLaunchClusterKernel
                 mgpuStreamCreate mgpuStreamDestroy mgpuStreamSynchronize
                 mgpuStreamWaitEvent mgpuEventCreate mgpuEventDestroy
                 mgpuEventSynchronize mgpuEventRecord mgpuMemAlloc mgpuMemFree
                 mgpuMemcpy mgpuMemset32 mgpuMemset16 mgpuMemHostRegister
                 mgpuMemHostUnregister mgpuMemHostRegisterMemRef
                 mgpuMemHostUnregisterMemRef mgpuSetDefaultDevice)
  if(NOT defined MATCHES " T ${function}\n")
    message(FATAL_ERROR "${LIBRARY} does not export ${function}")
  endif()
endforeach()
message(STATUS "${LIBRARY}: dependencies and exports as required")
