// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t bf16
// RUN: qtensor-import %t/bf16.pt --input-shape 4x32 --input-dtype bf16 | FileCheck %s
// RUN: %expect_exit 2 qtensor-import %t/bf16.pt --input-shape 4x32 2>&1 | FileCheck %s --check-prefix=WRONG-DTYPE
// RUN: %torch_python %S/make_transformer_models.py %t
// RUN: qtensor-import %t/op_bf16_accumulate.pt --input-shape 8x64:bf16 --input-shape 64x16:bf16 | FileCheck %s --check-prefix=ACCUMULATE

// Tests that a bfloat16 model imports with bf16 weights and inputs.
// CHECK-LABEL: func.func @forward(%{{.*}}: tensor<4x32xbf16> {{.*}}) -> tensor<4x16xbf16>
// CHECK: arith.constant dense_resource<fc.weight> : tensor<16x32xbf16>
// CHECK: qtensor.linear {{.*}} : tensor<4x32xbf16>, tensor<16x32xbf16>, tensor<16xbf16> -> tensor<4x16xbf16>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : bf16

// Tests that f32 inputs to a bf16 model are refused with the fix.
// WRONG-DTYPE: error: input element type f32 does not match 'fc.weight' (bf16); pass --input-dtype bf16 at {{.*}}make_models.py:93:

// Tests that what PyTorch accumulates in f32 on bf16 values does so here:
// softmax's max, exp and sum (the input widened once), the sum, the matmuls
// into f32 accumulators, each result rounded to bf16 once.
// ACCUMULATE-LABEL: func.func @forward
// ACCUMULATE: arith.extf %{{.*}} : bf16 to f32
// ACCUMULATE: arith.maximumf %{{.*}}, %{{.*}} : f32
// ACCUMULATE: math.exp %{{.*}} : f32
// ACCUMULATE: arith.divf %{{.*}}, %{{.*}} : f32
// ACCUMULATE: arith.truncf %{{.*}} : f32 to bf16
// ACCUMULATE: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x8x64xbf16>, tensor<1x64x16xbf16>) outs(%{{.*}} : tensor<1x8x16xf32>)
// ACCUMULATE: arith.truncf %{{.*}} : f32 to bf16
// ACCUMULATE: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x64xbf16>, tensor<64x16xbf16>) outs(%{{.*}} : tensor<8x16xf32>)
// ACCUMULATE: arith.truncf %{{.*}} : f32 to bf16
