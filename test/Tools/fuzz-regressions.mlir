// Tests that the inputs the fuzzers found (test/Fuzz/regressions/) give the
// tools one error and exit status 2, not a crash. scripts/fuzz.sh --replay
// runs them through the fuzz targets as well.

// A resource blob string that ends the file unterminated.
// RUN: %expect_exit 2 qtensor-opt %S/../Fuzz/regressions/mlir/unterminated-resource-string.mlir -o %t.mlir 2>&1 | FileCheck %s --check-prefix=BLOB
// RUN: not test -e %t.mlir
// BLOB: error: expected '"' in string literal

// A 4.7 KB archive whose pickle makes LibTorch allocate without bound: the
// loader's child process hits its memory limit, the tool reports it.
// RUN: %expect_exit 2 qtensor-import %S/../Fuzz/regressions/torchscript/unbounded-allocation.pt --input-shape 2x64 -o %t.out 2>&1 | FileCheck %s --check-prefix=ALLOC
// RUN: not test -e %t.out
// RUN: %expect_exit 2 qtensor-run %S/../Fuzz/regressions/torchscript/unbounded-allocation.pt --input-shape 2x64 2>&1 | FileCheck %s --check-prefix=ALLOC
// ALLOC: error: cannot load '{{.*}}unbounded-allocation.pt' as TorchScript: {{.*}}malformed or corrupted

// An archive whose tensor record describes a view larger than its storage:
// LibTorch loads it without complaint; the importer checks every constant.
// RUN: %expect_exit 2 qtensor-import %S/../Fuzz/regressions/torchscript/view-past-storage.pt --input-shape 2x64 -o %t.view 2>&1 | FileCheck %s --check-prefix=VIEW
// RUN: not test -e %t.view
// VIEW: error: constant 'linear2.weight' is malformed: its sizes and strides reach past its storage (a corrupted archive?)
