// Tests that qtensor-opt rejects unusable paths and invalid IR with one
// `error:` line, exit status 2, and no output file.

// RUN: rm -rf %t && mkdir -p %t

// RUN: %expect_exit 2 qtensor-opt %t/missing.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot open input file '{{.*}}missing.mlir': No such file or directory

// RUN: %expect_exit 2 qtensor-opt %t 2>&1 | FileCheck %s --check-prefix=DIRECTORY
// DIRECTORY: error: cannot open input file '{{.*}}': is a directory

// RUN: %expect_exit 2 qtensor-opt %s -o %t/no/such/dir/out.mlir 2>&1 | FileCheck %s --check-prefix=OUTDIR
// OUTDIR: error: cannot open output file '{{.*}}out.mlir': directory '{{.*}}dir' does not exist

// RUN: %expect_exit 2 qtensor-opt %s -o %t 2>&1 | FileCheck %s --check-prefix=OUTISDIR
// OUTISDIR: error: cannot open output file '{{.*}}': is a directory

// A verifier failure leaves no partial output file behind.
// RUN: %expect_exit 2 qtensor-opt %s -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=VERIFY
// RUN: not test -e %t/out.mlir
// VERIFY: error: 'qtensor.mixed_mm' op rhs must have 8 rows (lhs columns), got 6

// Garbage that is not MLIR at all.
// RUN: printf '\x00\x01garbage' > %t/garbage.mlir
// RUN: %expect_exit 2 qtensor-opt %t/garbage.mlir 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: error:

// Invalid pass options are one `error:` line too, checked before anything
// is read or written, not LLVM's option-parser format.
// RUN: %expect_exit 2 qtensor-opt %s --qtensor-cpu-pipeline=tile-m=abc -o %t/opt.mlir 2>&1 | FileCheck %s --check-prefix=OPTION-VALUE
// RUN: not test -e %t/opt.mlir
// OPTION-VALUE: error: invalid --qtensor-cpu-pipeline options: for the --tile-m option: 'abc' value invalid for long argument!
// RUN: %expect_exit 2 qtensor-opt %s --qtensor-cpu-pipeline=bogus=1 2>&1 | FileCheck %s --check-prefix=OPTION-NAME
// OPTION-NAME: error: invalid --qtensor-cpu-pipeline options: no such option bogus
// RUN: %expect_exit 2 qtensor-opt %s '--pass-pipeline=builtin.module(nonexistent)' 2>&1 | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: error: invalid --pass-pipeline options: 'nonexistent' does not refer to a registered pass or pass pipeline

// An empty file is a valid empty module.
// RUN: touch %t/empty.mlir
// RUN: qtensor-opt %t/empty.mlir | FileCheck %s --check-prefix=EMPTY
// EMPTY: module {

func.func @bad(%x: tensor<2x8xf32>, %d: tensor<6x4xi8>) -> tensor<2x4xf32> {
  %y = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<6x4xi8> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
