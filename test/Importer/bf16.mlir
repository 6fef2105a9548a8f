// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t bf16
// RUN: qtensor-import %t/bf16.pt --input-shape 4x32 --input-dtype bf16 | FileCheck %s
// RUN: %expect_exit 2 qtensor-import %t/bf16.pt --input-shape 4x32 2>&1 | FileCheck %s --check-prefix=WRONG-DTYPE

// Tests that a bfloat16 model imports with bf16 weights and inputs.
// CHECK-LABEL: func.func @forward(%{{.*}}: tensor<4x32xbf16> {{.*}}) -> tensor<4x16xbf16>
// CHECK: arith.constant dense_resource<fc.weight> : tensor<16x32xbf16>
// CHECK: qtensor.linear {{.*}} : tensor<4x32xbf16>, tensor<16x32xbf16>, tensor<16xbf16> -> tensor<4x16xbf16>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : bf16

// Tests that f32 inputs to a bf16 model are refused with the fix.
// WRONG-DTYPE: error: input element type f32 does not match 'fc.weight' (bf16); pass --input-dtype bf16 at {{.*}}make_models.py:93:
