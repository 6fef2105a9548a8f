# Installs qtensor into a scratch prefix, builds an example against it with
# find_package(QTensor), and runs the example.
# Usage: cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DMODEL=... [-DSANITIZE=...]
#        [-DEXAMPLE=cpp|aot|generate] -P TestInstalledPackage.cmake
#   cpp: examples/cpp (the JIT, QTensor::runtime) on MODEL.
#   generate: examples/generate (decoding with a KV cache) on MODEL, a
#        decoder.
#   aot: examples/aot (QTensor::light only) on an artifact qtensor-compile
#        writes from MODEL; configured with MLIR and Torch disabled, so a
#        package that looked for either fails the test.
if(NOT EXAMPLE)
  set(EXAMPLE cpp)
endif()
set(prefix ${BUILD_DIR}/install-test-${EXAMPLE})
set(flags "")
if(SANITIZE)
  # A sanitized qtensor links only into sanitized programs.
  set(flags "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}"
            "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()
set(example ${BUILD_DIR}/example-test-${EXAMPLE})
file(REMOVE_RECURSE ${prefix} ${example})
# One command per element; a command's arguments are separated by "|".
set(steps "${CMAKE_COMMAND}|--install|${BUILD_DIR}|--prefix|${prefix}")
string(REPLACE ";" "|" flags "${flags}")
if(EXAMPLE STREQUAL "aot")
  # The toy artifact runs OpenMP threads, whose dynamic TLS GCC 12's
  # LeakSanitizer crashes on at exit; qtensor-exec and the JIT runtime set
  # this option themselves, the example is a plain program.
  set(run_prefix "")
  if(SANITIZE MATCHES "address")
    set(run_prefix "${CMAKE_COMMAND}|-E|env|ASAN_OPTIONS=intercept_tls_get_addr=0|")
  endif()
  set(artifact ${example}/toy.qta)
  file(MAKE_DIRECTORY ${example})
  list(APPEND steps
    "${BUILD_DIR}/bin/qtensor-compile|${MODEL}|--input-shape|?x64|--target|cpu|-o|${artifact}"
    "${CMAKE_COMMAND}|-S|${SOURCE_DIR}/examples/aot|-B|${example}|-G|Ninja|-DCMAKE_PREFIX_PATH=${prefix}|-DCMAKE_DISABLE_FIND_PACKAGE_MLIR=ON|-DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON|${flags}"
    "${CMAKE_COMMAND}|--build|${example}"
    "${run_prefix}${example}/qtensor-aot-example|${artifact}|3")
elseif(EXAMPLE STREQUAL "generate")
  list(APPEND steps
    "${CMAKE_COMMAND}|-S|${SOURCE_DIR}/examples/generate|-B|${example}|-G|Ninja|-DCMAKE_PREFIX_PATH=${prefix}|${flags}"
    "${CMAKE_COMMAND}|--build|${example}"
    "${example}/qtensor-generate-example|${MODEL}|5,17,3,9|8")
else()
  list(APPEND steps
    "${CMAKE_COMMAND}|-S|${SOURCE_DIR}/examples/cpp|-B|${example}|-G|Ninja|-DCMAKE_PREFIX_PATH=${prefix}|${flags}"
    "${CMAKE_COMMAND}|--build|${example}"
    "${example}/qtensor-example|${MODEL}")
endif()
foreach(step IN LISTS steps)
  string(REPLACE "|" ";" command "${step}")
  execute_process(COMMAND ${command} RESULT_VARIABLE failed OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(failed)
    message(FATAL_ERROR "error: `${command}` failed:\n${out}")
  endif()
endforeach()
if(EXAMPLE STREQUAL "generate")
  # The example's tokens are qtensor-generate's on the same model.
  execute_process(COMMAND ${BUILD_DIR}/bin/qtensor-generate ${MODEL}
                          --prompt 5,17,3,9 --steps 8
                  RESULT_VARIABLE failed OUTPUT_VARIABLE tool ERROR_VARIABLE tool)
  string(REGEX MATCH "generated:[0-9 ]+" expected "${tool}")
  string(REGEX MATCH "generated:[0-9 ]+" got "${out}")
  if(failed OR NOT expected OR NOT got STREQUAL expected)
    message(FATAL_ERROR "error: the example printed '${got}', qtensor-generate '${expected}':\n${tool}")
  endif()
  set(out "${out}same tokens as qtensor-generate\n")
endif()
message(STATUS "${out}")
