// Tests that every kind of bad input gets one `error:` line, exit status 2,
// and no output file.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t bad sort ops two_inputs reshapes

// RUN: %expect_exit 2 qtensor-import --input-shape 4x64 2>&1 | FileCheck %s --check-prefix=NO-MODEL
// NO-MODEL: error: Not enough positional command line arguments specified!
// RUN: %expect_exit 2 qtensor-import %t/missing.pt --input-shape 4x64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot open '{{.*}}missing.pt': No such file or directory
// RUN: %expect_exit 2 qtensor-import %t/empty.pt --input-shape 4x64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: '{{.*}}empty.pt' is empty, not a TorchScript archive
// RUN: %expect_exit 2 qtensor-import %t/truncated.pt --input-shape 4x64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// TRUNCATED: error: cannot load '{{.*}}truncated.pt' as TorchScript: PytorchStreamReader failed reading zip archive
// RUN: %expect_exit 2 qtensor-import %t/garbage.pt --input-shape 4x64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: error: '{{.*}}garbage.pt' is not a TorchScript archive (no zip header)
// RUN: %expect_exit 2 qtensor-import %t/state_dict.pt --input-shape 4x64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=STATE-DICT
// STATE-DICT: error: '{{.*}}state_dict.pt' is a zip archive but not TorchScript (torch.save output?)
// RUN: %expect_exit 2 qtensor-import %t --input-shape 4x64 2>&1 | FileCheck %s --check-prefix=DIRECTORY
// DIRECTORY: error: cannot open '{{.*}}': is a directory

// An unsupported op names the op and the user's line (make_models.py:98).
// RUN: %expect_exit 2 qtensor-import %t/sort.pt --input-shape 4 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=UNKNOWN-OP
// UNKNOWN-OP: error: unsupported operator 'aten::sort' at {{.*}}make_models.py:98:

// Shapes that do not fit: size, rank, count of inputs, syntax.
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape 4x63 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=SIZE
// SIZE: error: input shape [4, 63] does not fit the model: 'linear1.weight' of shape [128, 64] expects 64 features in the last dimension at {{.*}}toy_model.py:23:13
// RUN: %expect_exit 2 qtensor-import %t/ops.pt --input-shape 4x8x2 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=RANK
// RANK: error: aten::mm needs 2-D operands, operand 0 has rank 3 (the input shape does not fit the model?) at {{.*}}make_models.py:76:
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape 4x64 --input-shape 2 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: error: the model's forward takes 1 input(s), but 2 --input-shape given
// RUN: %expect_exit 2 qtensor-import %t/toy.pt -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=NO-SHAPE
// NO-SHAPE: error: give one --input-shape per input of the model's forward
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape 4x -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: error: invalid --input-shape '4x': empty dimension
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape 4xabc -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX2
// SYNTAX2: error: invalid --input-shape '4xabc': 'abc' is not a size, '?' or a name (upper-case letters, digits and '_')
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape 4x99999999999 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX3
// SYNTAX3: error: invalid --input-shape '4x99999999999': dimension 99999999999 is too large (at most 2^32)

// A dynamic feature dimension, anonymous or named.
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape 4x? -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=DYNAMIC-FEATURES
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape BxK -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=DYNAMIC-FEATURES
// DYNAMIC-FEATURES: error: the input's last dimension, the features of 'linear1.weight', must be static, not a dynamic size at {{.*}}toy_model.py:23:13

// Two dynamic sizes of different names that the model adds.
// RUN: %expect_exit 2 qtensor-import %t/two_inputs.pt --input-shape Bx8 --input-shape Cx8 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=NAMES
// NAMES: error: dynamic sizes 'B' and 'C' meet in aten::add, which needs them equal; describe both inputs with one name if they are at {{.*}}make_models.py:
// A size a reshape computes (B*T) cannot pass for another one, '?' included.
// RUN: %expect_exit 2 qtensor-import %t/reshapes.pt --input-shape BxTx8 --input-shape Nx8 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=PRODUCT
// RUN: %expect_exit 2 qtensor-import %t/reshapes.pt --input-shape BxTx8 --input-shape ?x8 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=PRODUCT-ANON
// PRODUCT: error: dynamic sizes 'B*T' and 'N' meet in aten::add
// PRODUCT-ANON: error: dynamic sizes 'B*T' and '?' meet in aten::add
// Integer inputs reach float-only ops with a clear error.
// RUN: %expect_exit 2 qtensor-import %t/reshapes.pt --input-shape Bx1x8:i64 --input-shape Bx8 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=INT-MUL
// INT-MUL: error: aten::mul of an i64 tensor is not supported (float tensors only)

// Unsupported dtypes: not a dtype at all, and an integer input a linear
// layer cannot take.
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape 4x64 --input-dtype f64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: error: unknown --input-dtype 'f64' (expected f32, f16, bf16, i8, i32, i64 or bool)
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape 4x64:f64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=DTYPE-SUFFIX
// DTYPE-SUFFIX: error: invalid --input-shape '4x64:f64': unknown dtype 'f64' (expected f32, f16, bf16, i8, i32, i64 or bool)
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape Bx64:i64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=INT-INPUT
// INT-INPUT: error: input element type i64 does not match 'linear1.weight' (f32); pass --input-dtype f32

// An unwritable output path.
// RUN: %expect_exit 2 qtensor-import %t/toy.pt --input-shape 4x64 -o %t/no/such/dir/out.mlir 2>&1 | FileCheck %s --check-prefix=OUTPUT
// OUTPUT: error: cannot open output file '{{.*}}out.mlir': directory '{{.*}}dir' does not exist

// None of the failures above left an output file.
// RUN: not test -e %t/out.mlir
