// RUN: qtensor-opt --verify-roundtrip %s | FileCheck %s

// Tests that every scale layout, storage type, expressed type and a dynamic
// leading dimension print back as written.

// CHECK-LABEL: func.func @layouts
// CHECK-SAME: !qtensor.tensor<128x64xi8, f32, per_row>
// CHECK-SAME: !qtensor.tensor<64x128xi8, f32, per_column>
// CHECK-SAME: !qtensor.tensor<64x64xi8, f16, per_tensor>
// CHECK-SAME: !qtensor.tensor<?x4096xi4, bf16, per_group<128>>
func.func @layouts(%a: !qtensor.tensor<128x64xi8, f32, per_row>,
                   %b: !qtensor.tensor<64x128xi8, f32, per_column>,
                   %c: !qtensor.tensor<64x64xi8, f16, per_tensor>,
                   %d: !qtensor.tensor<?x4096xi4, bf16, per_group<128>>) {
  return
}

// CHECK-LABEL: func.func @dynamic_rows
// CHECK-SAME: !qtensor.tensor<?x64xi8, f32, per_row>
func.func @dynamic_rows(%a: !qtensor.tensor<?x64xi8, f32, per_row>) {
  return
}
