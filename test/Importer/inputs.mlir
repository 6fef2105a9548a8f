// Tests how --input-shape describes the arguments of @forward: dynamic sizes
// anywhere, named or '?', and a dtype per input.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t toy two_inputs bf16 reshapes

// A named batch is a dynamic size like '?'.
// RUN: qtensor-import %t/toy.pt --input-shape Bx64 | FileCheck %s --check-prefix=NAMED
// NAMED: func.func @forward(%{{.*}}: tensor<?x64xf32>{{.*}}) -> tensor<?x32xf32>

// One name in two inputs: the model may add them.
// RUN: qtensor-import %t/two_inputs.pt --input-shape Bx8 --input-shape Bx8 | FileCheck %s --check-prefix=SHARED
// SHARED: func.func @forward(%{{.*}}: tensor<?x8xf32>{{.*}}, %{{.*}}: tensor<?x8xf32>{{.*}}) -> (tensor<?x8xf32>, tensor<?x8xf32>)
// SHARED: linalg.generic

// A dynamic size in a leading position other than the first, and per-input
// dtypes (--input-dtype for those without one).
// RUN: qtensor-import %t/toy.pt --input-shape 2xTx64 | FileCheck %s --check-prefix=MIDDLE
// MIDDLE: func.func @forward(%{{.*}}: tensor<2x?x64xf32>{{.*}}) -> tensor<2x?x32xf32>
// RUN: qtensor-import %t/bf16.pt --input-shape 4x32:bf16 | FileCheck %s --check-prefix=DTYPES
// RUN: qtensor-import %t/bf16.pt --input-shape 4x32 --input-dtype bf16 | FileCheck %s --check-prefix=DTYPES
// DTYPES: func.func @forward(%{{.*}}: tensor<4x32xbf16>{{.*}})

// Several dynamic sizes in one input: unsqueeze keeps both, and flatten(0, 1)
// makes their product, which may meet a size of 1.
// RUN: qtensor-import %t/reshapes.pt --input-shape BxTx8 --input-shape 1x8 | FileCheck %s --check-prefix=RESHAPES
// RESHAPES: func.func @forward(%{{.*}}: tensor<?x?x8xf32>{{.*}}, %{{.*}}: tensor<1x8xf32>{{.*}}) -> (tensor<?x8xf32>, tensor<?x?x8x1xf32>)
// RESHAPES: tensor.collapse_shape
// RESHAPES: qtensor.linear
// A collapse with sizes of 1 keeps the name: B meets B.
// RUN: qtensor-import %t/reshapes.pt --input-shape Bx1x8 --input-shape Bx8 | FileCheck %s --check-prefix=KEPT
// KEPT: func.func @forward(%{{.*}}: tensor<?x1x8xf32>{{.*}}, %{{.*}}: tensor<?x8xf32>{{.*}})
// And the compiled model computes what LibTorch does.
// RUN: qtensor-run %t/reshapes.pt --input-shape Bx1x8 --input-shape Bx8 --target cpu --compare | FileCheck %s --check-prefix=COMPARE
// COMPARE: allclose(compiled, module swap) = True
