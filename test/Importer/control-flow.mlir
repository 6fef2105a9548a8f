// Tests that scripted control flow is decided at import
// (test/Importer/make_transformer_models.py, SCRIPTED_MODULES): a shape
// check whose raise is dropped when the rank fits and is the error when it
// does not, a loop over a size known at import unrolled, and a branch on the
// input's values refused at the user's line.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_transformer_models.py %t

// RUN: qtensor-import %t/cf_rank_check.pt --input-shape 2x3x4 | FileCheck %s --check-prefix=RANK
// RANK-LABEL: func.func @forward
// RANK-NOT: scf.if
// RANK: arith.mulf
// RANK: return
// RUN: %expect_exit 2 qtensor-import %t/cf_rank_check.pt --input-shape 2x3 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=RAISE
// RAISE: error: the model raises an exception for these inputs: expected a 3-D input, got 2-D at {{.*}}make_transformer_models.py:

// Three iterations: three slices, three adds, against eager PyTorch.
// RUN: qtensor-import %t/cf_unrolled_loop.pt --input-shape 3x5 | FileCheck %s --check-prefix=LOOP
// LOOP-COUNT-3: tensor.extract_slice
// RUN: qtensor-run %t/cf_unrolled_loop.pt --input-shape 3x5 --quantize none --compare --target cpu | FileCheck %s --check-prefix=UNROLLED
// UNROLLED: allclose(compiled, float model) = True

// RUN: %expect_exit 2 qtensor-import %t/cf_data_branch.pt --input-shape 4 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=DATA
// DATA: error: aten::Bool reads the value of a tensor the model computes, which is only known at run time (a branch or size that depends on the input data cannot be compiled ahead) at {{.*}}make_transformer_models.py:
// RUN: not test -e %t/out.mlir
