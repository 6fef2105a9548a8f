# Runs host code that MLIR 22 generates (gpu-lower-to-nvvm-pipeline) with
# mlir-runner on libQTensorCudaRuntime.so, first over the fake libcuda.so.1,
# then with no driver at all. Checks that every mgpu* symbol resolves, that
# three launches make one stream, one module load and one function lookup,
# that data round-trip through the device, and that a missing driver is one
# latched error, not a crash.
# Usage: cmake -DMLIR_OPT= -DMLIR_RUNNER= -DRUNNER_UTILS= -DRUNTIME=
#              -DFAKE_DRIVER= -DINPUT= -DWORK_DIR= [-DPRELOAD=<sanitizer .so>]
#              -P TestCudaGeneratedHostCode.cmake

file(MAKE_DIRECTORY ${WORK_DIR})
set(lowered ${WORK_DIR}/gpu-host-code.llvm.mlir)
execute_process(
  COMMAND ${MLIR_OPT} ${INPUT}
          "-gpu-lower-to-nvvm-pipeline=cubin-chip=sm_90 cubin-features=+ptx80 cubin-format=isa"
          -o ${lowered}
  RESULT_VARIABLE status ERROR_VARIABLE errors)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "mlir-opt failed:\n${errors}")
endif()

# A sanitized runtime in the unsanitized mlir-runner: its sanitizer must be
# loaded first, and mlir-runner's own allocations are not ours to check.
set(preload_env "")
if(PRELOAD)
  set(preload_env LD_PRELOAD=${PRELOAD} ASAN_OPTIONS=detect_leaks=0)
endif()

function(run_host_code driver out_var err_var)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env ${preload_env} QTENSOR_CUDA_DRIVER=${driver}
            QTENSOR_FAKE_CUDA_TRACE=1 QTENSOR_CUDA_VERBOSE=1
            ${MLIR_RUNNER} ${lowered} -e main -entry-point-result=void
            -shared-libs=${RUNTIME},${RUNNER_UTILS}
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err
    TIMEOUT 120)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "mlir-runner exited with ${status}:\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${err_var} "${err}" PARENT_SCOPE)
endfunction()

function(expect_count text pattern expected)
  string(REGEX MATCHALL "${pattern}" matches "${text}")
  list(LENGTH matches count)
  if(NOT count EQUAL expected)
    message(FATAL_ERROR "expected ${expected} x '${pattern}', got ${count}:\n${text}")
  endif()
endfunction()

run_host_code(${FAKE_DRIVER} out err)
if(NOT out MATCHES "\\[1\\.5, +1\\.5, +1\\.5, +1\\.5\\]")
  message(FATAL_ERROR "the data did not round-trip:\n${out}")
endif()
if(err MATCHES "qtensor-cuda: ([^\n]*)")
  message(FATAL_ERROR "the runtime latched an error: ${CMAKE_MATCH_1}")
endif()
expect_count("${err}" "fake-cuda: launched double grid 1x1x1 block 4x1x1\n" 3)
expect_count("${err}" "fake-cuda: cuStreamCreate\n" 1)
expect_count("${err}" "fake-cuda: cuStreamDestroy_v2\n" 0)
expect_count("${err}" "fake-cuda: cuModuleLoadDataEx\n" 1)
expect_count("${err}" "fake-cuda: cuModuleGetFunction\n" 1)
expect_count("${err}" "fake-cuda: cuDevicePrimaryCtxRetain\n" 1)
expect_count("${err}" "fake-cuda: cuMemAlloc_v2\n" 1)
# The one free keeps the block in the runtime's pool: no cuMemFree.
expect_count("${err}" "fake-cuda: cuMemFree_v2\n" 0)

run_host_code(${WORK_DIR}/no-such-dir/libcuda.so.1 out err)
expect_count("${err}" "qtensor-cuda: no CUDA driver: [^\n]*/no-such-dir/libcuda.so.1 not found\n" 1)
message(STATUS "generated host code ran on the CUDA runtime, with and without a driver")
