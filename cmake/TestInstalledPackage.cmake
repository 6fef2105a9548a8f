# Installs qtensor into a scratch prefix, builds examples/cpp against it with
# find_package(QTensor), and runs the example on a model.
# Usage: cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DMODEL=... [-DSANITIZE=...]
#        -P TestInstalledPackage.cmake
set(prefix ${BUILD_DIR}/install-test)
set(flags "")
if(SANITIZE)
  # A sanitized qtensor links only into sanitized programs.
  set(flags "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}"
            "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()
set(example ${BUILD_DIR}/example-test)
file(REMOVE_RECURSE ${prefix} ${example})
foreach(step
    "${CMAKE_COMMAND};--install;${BUILD_DIR};--prefix;${prefix}"
    "${CMAKE_COMMAND};-S;${SOURCE_DIR}/examples/cpp;-B;${example};-G;Ninja;-DCMAKE_PREFIX_PATH=${prefix};${flags}"
    "${CMAKE_COMMAND};--build;${example}"
    "${example}/qtensor-example;${MODEL}")
  execute_process(COMMAND ${step} RESULT_VARIABLE failed OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(failed)
    message(FATAL_ERROR "error: `${step}` failed:\n${out}")
  endif()
endforeach()
message(STATUS "${out}")
