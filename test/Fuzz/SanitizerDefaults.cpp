//===- SanitizerDefaults.cpp - ASan defaults of the fuzz targets ----------===//
//
// LLVM's BumpPtrAllocator poisons its free slab space when the including code
// is built with ASan. Our instrumented code and Debian's uninstrumented
// libMLIR share such allocators (and, through symbol interposition, some of
// their template code), so libMLIR's allocations land in memory that our
// copies poisoned and ASan reports false use-after-poison errors. Manual
// poisoning is therefore off; every other ASan check stays on.
//
//===----------------------------------------------------------------------===//

extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

/// LibTorch 1.13 leaks about 0.5 KB of its zip reader's state for each
/// archive it rejects. That is LibTorch's, not ours, and would stop every
/// importer fuzzing run at the first malformed archive.
extern "C" const char *__lsan_default_suppressions() {
  return "leak:libtorch_cpu.so\n";
}
