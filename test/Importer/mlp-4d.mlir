// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t mlp4d
// RUN: qtensor-import %t/mlp4d.pt --input-shape 2x3x5x13 | FileCheck %s
// RUN: qtensor-import %t/mlp4d.pt --input-shape ?x3x5x13 | FileCheck %s --check-prefix=DYNAMIC

// Tests linears with bias on a 4-D input with odd sizes, and relu as the
// elementwise linalg.generic that the fusion pass recognizes.
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x5x13xf32> {{.*}}) -> tensor<2x3x5x5xf32>
// CHECK-DAG: arith.constant dense_resource<fc1.weight> : tensor<27x13xf32>
// CHECK-DAG: arith.constant dense_resource<fc1.bias> : tensor<27xf32>
// CHECK-DAG: arith.constant dense_resource<fc2.weight> : tensor<5x27xf32>
// CHECK-DAG: arith.constant dense_resource<fc2.bias> : tensor<5xf32>
// CHECK: %[[H:.*]] = qtensor.linear %[[X]], %{{.*}}, %{{.*}} : tensor<2x3x5x13xf32>, tensor<27x13xf32>, tensor<27xf32> -> tensor<2x3x5x27xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<2x3x5x27xf32>)
// CHECK:   arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: qtensor.linear %[[R]], %{{.*}}, %{{.*}} : tensor<2x3x5x27xf32>, tensor<5x27xf32>, tensor<5xf32> -> tensor<2x3x5x5xf32>

// Tests that a dynamic batch dimension carries through.
// DYNAMIC-LABEL: func.func @forward(%{{.*}}: tensor<?x3x5x13xf32> {{.*}}) -> tensor<?x3x5x5xf32>
// DYNAMIC: tensor.dim
// DYNAMIC: tensor.empty(%{{.*}}) : tensor<?x3x5x27xf32>
