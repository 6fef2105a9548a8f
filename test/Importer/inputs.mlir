// Tests how --input-shape describes the arguments of @forward: dynamic sizes
// anywhere, named or '?', and a dtype per input.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t toy two_inputs bf16

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
