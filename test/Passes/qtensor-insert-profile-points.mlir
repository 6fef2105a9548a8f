// RUN: qtensor-opt %s --qtensor-insert-profile-points | FileCheck %s

// Each op that does work in a public function gets a point before it, the
// return the closing point -1; the two loops of one tagged linear share
// one point; untagged ops are "other", named after their location (or
// their operation name). Entries are numbered in order of first
// appearance and listed in qtensor.profile_points; the counters hold two
// i64 per entry.
// CHECK: module attributes {qtensor.profile_points = [{category = "linear", name = "fc.weight"}, {category = "other", name = "model.py:43"}, {category = "other", name = "linalg.fill"}]}
// CHECK-DAG: func.func private @qtensorProfilePoint(!llvm.ptr, i64)
// CHECK-DAG: llvm.mlir.global external @qtensor_profile_counters(dense<0> : tensor<6xi64>) {addr_space = 0 : i32} : !llvm.array<6 x i64>
// CHECK-LABEL: func.func @forward
// CHECK: %[[COUNTERS:.*]] = llvm.mlir.addressof @qtensor_profile_counters : !llvm.ptr
// CHECK: %[[ID0:.*]] = arith.constant 0 : i64
// CHECK-NEXT: call @qtensorProfilePoint(%[[COUNTERS]], %[[ID0]])
// CHECK-NEXT: scf.for
// CHECK-NOT: call @qtensorProfilePoint
// CHECK: scf.for
// CHECK: %[[ID1:.*]] = arith.constant 1 : i64
// CHECK-NEXT: call @qtensorProfilePoint(%[[COUNTERS]], %[[ID1]])
// CHECK-NEXT: linalg.generic
// CHECK: %[[ID2:.*]] = arith.constant 2 : i64
// CHECK-NEXT: call @qtensorProfilePoint(%[[COUNTERS]], %[[ID2]])
// CHECK-NEXT: linalg.fill
// CHECK: %[[END:.*]] = arith.constant -1 : i64
// CHECK-NEXT: call @qtensorProfilePoint(%[[COUNTERS]], %[[END]])
// CHECK-NEXT: return
// A private function is not an entry point: no points.
// CHECK-LABEL: func.func private @helper
// CHECK-NOT: qtensorProfilePoint
// CHECK: return
#id = affine_map<(i) -> (i)>
module {
  func.func @forward(%x: tensor<8xf32>) -> tensor<8xf32> {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %a = scf.for %i = %c0 to %c4 step %c4 iter_args(%t = %x) -> tensor<8xf32> {
      scf.yield %t : tensor<8xf32>
    } loc("qtensor.profile:linear:fc.weight"("model.py":40:4))
    %b = scf.for %i = %c4 to %c8 step %c4 iter_args(%t = %a) -> tensor<8xf32> {
      scf.yield %t : tensor<8xf32>
    } loc("qtensor.profile:linear:fc.weight"("model.py":40:4))
    %empty = tensor.empty() : tensor<8xf32>
    %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%b : tensor<8xf32>) outs(%empty : tensor<8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %v = math.exp %in : f32
      linalg.yield %v : f32
    } -> tensor<8xf32> loc("model.py":43:8)
    %zero = arith.constant 0.0 : f32
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32> loc(unknown)
    return %f : tensor<8xf32>
  }
  func.func private @helper(%x: tensor<8xf32>) -> tensor<8xf32> {
    %empty = tensor.empty() : tensor<8xf32>
    %zero = arith.constant 0.0 : f32
    %f = linalg.fill ins(%zero : f32) outs(%empty : tensor<8xf32>) -> tensor<8xf32>
    return %f : tensor<8xf32>
  }
}
