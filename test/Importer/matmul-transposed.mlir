// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t matmul_t
// RUN: qtensor-import %t/matmul_t.pt --input-shape 3x7x20 | FileCheck %s

// Tests that `x @ self.w.t()`, which freezing leaves as aten::matmul on a
// non-contiguous [K, N] view of w, imports as linear(x, w) on the [N, K]
// parameter itself (shared, not copied, not transposed).
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[X:.*]]: tensor<3x7x20xf32> {{.*}}) -> tensor<3x7x12xf32>
// CHECK: %[[W:.*]] = arith.constant dense_resource<w> : tensor<12x20xf32>
// CHECK: qtensor.linear %[[X]], %[[W]] : tensor<3x7x20xf32>, tensor<12x20xf32> -> tensor<3x7x12xf32>
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.matmul
