# Helpers shared by every qtensor component.

# Declares a library of qtensor's own code: warnings on, LLVM/MLIR through
# their shared libraries only (libMLIR.so, libLLVM.so), never the static
# component archives, so each registry exists once per process.
function(qtensor_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${QTENSOR_WARNING_FLAGS})
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
endfunction()

# Declares a qtensor executable (lands in build/bin/).
function(qtensor_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${QTENSOR_WARNING_FLAGS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS} MLIR LLVM)
endfunction()
