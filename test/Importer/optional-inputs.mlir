// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_input_models.py %t
// RUN: %torch_python %S/make_models.py %t two_inputs

// Tests that inputs with a None default may be left out at the end: they
// import as None, and the `if mask is not None:` branches they decide are
// gone (make_input_models.py, OptionalInputs).
// RUN: qtensor-import %t/optional.pt --input-shape 4x8 | FileCheck %s --check-prefix=NONE
// NONE: func.func @forward(%{{.*}}: tensor<4x8xf32> {{.*}}) -> tensor<4x8xf32>
// NONE: qtensor.linear
// NONE-NOT: arith.mulf
// NONE-NOT: arith.addf
// NONE: return

// Tests that an optional input that is given is a tensor and takes its
// branch, while the one after it stays None.
// RUN: qtensor-import %t/optional.pt --input-shape 4x8 --input-shape 4x8 | FileCheck %s --check-prefix=MASK
// MASK: func.func @forward(%{{.*}}: tensor<4x8xf32> {{.*}}, %{{.*}}: tensor<4x8xf32> {{.*}}) -> tensor<4x8xf32>
// MASK: qtensor.linear
// MASK: arith.mulf
// MASK-NOT: arith.addf
// MASK: return
// RUN: qtensor-import %t/optional.pt --input-shape 4x8 --input-shape 4x8 --input-shape 8 | FileCheck %s --check-prefix=BOTH
// BOTH: arith.mulf
// BOTH: arith.addf

// Tests that the errors for too few and too many inputs list the model's
// inputs, the optional ones with their default.
// RUN: %expect_exit 2 qtensor-import %t/two_inputs.pt --input-shape 4x8 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: the model's forward takes 2 input(s), but 1 --input-shape given; input 'y' has no None default, so it needs one (inputs: x, y){{$}}
// RUN: %expect_exit 2 qtensor-import %t/optional.pt --input-shape 4x8 --input-shape 4x8 --input-shape 8 --input-shape 8 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=EXTRA
// EXTRA: error: the model's forward takes 3 input(s), but 4 --input-shape given (inputs: x, mask = None, bias = None){{$}}
// RUN: not test -e %t/out.mlir

// Tests that qtensor-run runs the model with the optional inputs left out
// and LibTorch's reference gets the same (its forward fills the defaults).
// RUN: qtensor-run %t/optional.pt --input-shape 4x8 --quantize none --compare | FileCheck %s --check-prefix=COMPARE
// RUN: qtensor-run %t/optional.pt --input-shape 4x8 --input-shape 4x8 --quantize none --compare | FileCheck %s --check-prefix=COMPARE
// RUN: %expect_exit 2 qtensor-run %t/two_inputs.pt --input-shape 4x8 2>&1 | FileCheck %s --check-prefix=MISSING
// COMPARE: allclose(compiled, float model) = True
// COMPARE-NOT: = False
