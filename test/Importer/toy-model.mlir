// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t toy
// RUN: qtensor-import %t/toy.pt --input-shape 64x64x64 -o %t/toy.mlir
// RUN: FileCheck %s < %t/toy.mlir
// RUN: qtensor-opt --verify-roundtrip %t/toy.mlir -o /dev/null

// Tests that the seed's ToyModel(64, 128, 32) imports as two qtensor.linear
// ops on dense_resource weights named after their parameters, each located
// at the line of the user's forward that calls the layer (examples/toy_model.py
// lines 23 and 24), not inside torch's linear.py, the fusion naming the
// module.
// CHECK-LABEL: func.func @forward(%{{.*}}: tensor<64x64x64xf32> {{.*}}) -> tensor<64x64x32xf32>
// CHECK-DAG: %[[W1:.*]] = arith.constant dense_resource<linear1.weight> : tensor<128x64xf32> loc(#[[W1LOC:loc[0-9]+]])
// CHECK-DAG: %[[W2:.*]] = arith.constant dense_resource<linear2.weight> : tensor<32x128xf32>
// CHECK: %[[H:.*]] = qtensor.linear %{{.*}}, %[[W1]] : tensor<64x64x64xf32>, tensor<128x64xf32> -> tensor<64x64x128xf32> loc(#[[L1:loc[0-9]+]])
// CHECK: %[[Y:.*]] = qtensor.linear %[[H]], %[[W2]] : tensor<64x64x128xf32>, tensor<32x128xf32> -> tensor<64x64x32xf32> loc(#[[L2:loc[0-9]+]])
// CHECK: return %[[Y]]
// CHECK-DAG: #[[USER1:loc[0-9]+]] = loc("{{.*}}examples/toy_model.py":23:13)
// CHECK-DAG: #[[USER2:loc[0-9]+]] = loc("{{.*}}examples/toy_model.py":24:13)
// CHECK-DAG: #[[L1]] = loc(fused<"linear1">[#[[USER1]], #{{loc[0-9]+}}])
// CHECK-DAG: #[[L2]] = loc(fused<"linear2">[#[[USER2]], #{{loc[0-9]+}}])
// CHECK-DAG: #[[W1LOC]] = loc("linear1.weight"(#[[L1]]))
// CHECK: dialect_resources
// CHECK-DAG: linear1.weight: "0x04000000
// CHECK-DAG: linear2.weight: "0x04000000
