// Tests that transformer models qtensor refuses get one `error:` line naming
// what is not supported, exit status 2 and no output file.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_transformer_models.py %t

// Meta's complex-number rotary embedding.
// RUN: %expect_exit 2 qtensor-import %t/bad_complex_rotary.pt --input-shape 1x4x8 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=COMPLEX
// COMPLEX: error: unsupported operator 'aten::view_as_complex' at {{.*}}make_transformer_models.py:
// A key-padding mask in PyTorch's fast path.
// RUN: %expect_exit 2 qtensor-import %t/bad_padded_encoder.pt --input-shape 1x16x64 --input-shape 1x16:bool -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=NESTED
// NESTED: error: a key-padding mask makes PyTorch's transformer fast path use nested tensors (aten::_nested_tensor_from_mask), which are not supported; trace the model without src_key_padding_mask
// RUN: %expect_exit 2 qtensor-import %t/bad_two_indices.pt --input-shape 16x16 --input-shape 3:i64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=INDICES
// INDICES: error: aten::index with more than one tensor index is not supported at {{.*}}make_transformer_models.py:
// Shapes that do not fit the model's cat.
// RUN: %expect_exit 2 qtensor-import %t/bad_cat_shapes.pt --input-shape 2x3 --input-shape 3x4 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=CAT
// CAT: error: aten::cat of shapes [2, 3] and [3, 4] that differ outside the joined dimension at {{.*}}make_transformer_models.py:
// A token count that is only known at run time: the causal mask's slice
// needs it at import.
// RUN: %expect_exit 2 qtensor-import %t/llama_scripted.pt --input-shape 1xTx64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// DYNAMIC: error: aten::slice bounds that depend on a dynamic size are not supported at {{.*}}make_transformer_models.py:
// Operands that do not fit.
// RUN: %expect_exit 2 qtensor-import %t/op_matmul_1d_2d.pt --input-shape 7 --input-shape 6x5 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=SHAPES
// SHAPES: error: matmul shapes [7] and [6, 5] do not fit at {{.*}}make_transformer_models.py:
// RUN: not test -e %t/out.mlir
