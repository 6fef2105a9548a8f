// RUN: qtensor-opt --qtensor-map-linalg-to-gpu --canonicalize --cse --split-input-file %s | FileCheck %s
// RUN: qtensor-opt --qtensor-map-linalg-to-gpu="emulate=true" --canonicalize --cse --split-input-file %s | FileCheck %s --check-prefix=EMULATE

// Tests that a max over the last dimension (softmax's first step) becomes
// one warp per output element, four per block: the grid covers the
// 2 x 5 = 10 rows, lane l strides the 40 reduced elements from -inf, the
// butterfly combines the lanes with maximumf, and lane 0 folds the result
// into the output element.
// CHECK-LABEL: func.func @row_max
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c3, {{.*}} = %c1, {{.*}} = %c1) threads(%[[LANE:.*]], %[[WARP:.*]], %{{.*}}) in ({{.*}} = %c32, {{.*}} = %c4, {{.*}} = %c1) module(@reduce0_rows) function(@reduce0_rows)
// CHECK:   %[[ROW:.*]] = arith.addi %{{.*}}, %[[WARP]] : index
// CHECK:   %[[INSIDE:.*]] = arith.cmpi ult, %[[ROW]], %c10
// CHECK:   scf.if %[[INSIDE]] {
// CHECK:     %[[PARTIAL:.*]] = scf.for %[[K:.*]] = %[[LANE]] to %c40 step %c32 iter_args(%[[ACC:.*]] = %[[NEG_INF]]) -> (f32) {
// CHECK:       %[[X:.*]] = memref.load %{{.*}}[%{{.*}}, %{{.*}}, %[[K]]] : memref<2x5x40xf32>
// CHECK:       arith.maximumf %[[ACC]], %[[X]] : f32
// CHECK:     %[[S16:.*]], %{{.*}} = gpu.shuffle xor %[[PARTIAL]], %c16_i32, %c32_i32 : f32
// CHECK:     %[[M16:.*]] = arith.maximumf %[[PARTIAL]], %[[S16]] : f32
// CHECK:     gpu.shuffle xor %[[M16]], %c8_i32, %c32_i32
// CHECK:     gpu.shuffle xor %{{.*}}, %c4_i32, %c32_i32
// CHECK:     gpu.shuffle xor %{{.*}}, %c2_i32, %c32_i32
// CHECK:     %[[S1:.*]], %{{.*}} = gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32
// CHECK:     %[[TOTAL:.*]] = arith.maximumf %{{.*}}, %[[S1]] : f32
// CHECK:     %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %c0
// CHECK:     scf.if %[[FIRST]] {
// CHECK:       %[[OLD:.*]] = memref.load %[[OUT:.*]][{{.*}}] : memref<2x5xf32>
// CHECK:       %[[NEW:.*]] = arith.maximumf %[[TOTAL]], %[[OLD]] : f32
// CHECK:       memref.store %[[NEW]], %[[OUT]][{{.*}}] : memref<2x5xf32>

// The emulation: one loop iteration per row, the lanes one after the other
// into a vector, the butterfly as vector shuffles.
// EMULATE-LABEL: func.func @row_max
// EMULATE-NOT: gpu.
// EMULATE: scf.parallel (%[[ROW:.*]]) = (%c0) to (%c10)
// EMULATE:   %[[LANES:.*]] = scf.for %[[LANE:.*]] = %c0 to %c32 step %c1 iter_args(%[[V:.*]] = %{{.*}}) -> (vector<32xf32>)
// EMULATE:     scf.for %{{.*}} = %[[LANE]] to %c40 step %c32
// EMULATE:     vector.insert %{{.*}}, %[[V]] [%[[LANE]]] : f32 into vector<32xf32>
// EMULATE:   %[[P16:.*]] = vector.shuffle %[[LANES]], %[[LANES]] [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 0, 1,
// EMULATE:   arith.maximumf %[[LANES]], %[[P16]] : vector<32xf32>
// EMULATE-COUNT-4: vector.shuffle
// EMULATE:   vector.extract %{{.*}}[0] : f32 from vector<32xf32>
// EMULATE:   memref.store
func.func @row_max(%x: memref<2x5x40xf32>, %out: memref<2x5xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<2x5x40xf32>) outs(%out : memref<2x5xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Tests a sum of squared differences (a variance) over a dynamic middle
// dimension, with a broadcast input: the body's own ops run per element
// before the add, the lanes start from -0.0 (addf's neutral element), and
// the reduced size is read from the buffer.
// CHECK-LABEL: func.func @variance
// CHECK-DAG: %[[NEG_ZERO:.*]] = arith.constant -0.000000e+00 : f32
// CHECK-DAG: %[[K:.*]] = memref.dim %{{.*}}, %c1 : memref<4x?x8xf32>
// CHECK: gpu.launch {{.*}} module(@reduce0_rows)
// CHECK:   scf.for %{{.*}} = %{{.*}} to %[[K]] step %c32 iter_args(%{{.*}} = %[[NEG_ZERO]]) -> (f32) {
// CHECK:     arith.subf
// CHECK:     arith.mulf
// CHECK:     arith.addf
// CHECK-COUNT-5: gpu.shuffle xor
func.func @variance(%x: memref<4x?x8xf32>, %mean: memref<4x8xf32>, %out: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x, %mean : memref<4x?x8xf32>, memref<4x8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %d = arith.subf %in, %m : f32
    %sq = arith.mulf %d, %d : f32
    %s = arith.addf %sq, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Tests what stays with the generic mapping: a reduction whose body uses
// the output twice (not one combiner), an f64 sum (no 32-bit shuffle), a
// reduction over two loops, an elementwise op, an output that leaves out a
// parallel loop (several rows would update one element), and an integer
// sum with an overflow flag (the lanes reassociate it).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: gpu.launch
// CHECK-COUNT-6: linalg.generic
// CHECK-NOT: gpu.launch
func.func @left_alone(%x: memref<4x32xf32>, %d: memref<4x32xf64>, %out: memref<4xf32>, %out64: memref<4xf64>, %scalar: memref<f32>, %y: memref<4x32xf32>, %x3: memref<4x5x32xf32>, %i: memref<4x32xi32>, %iout: memref<4xi32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x3 : memref<4x5x32xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%i : memref<4x32xi32>) outs(%iout : memref<4xi32>) {
  ^bb0(%in: i32, %acc: i32):
    %s = arith.addi %acc, %in overflow<nsw> : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<4x32xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %p = arith.mulf %acc, %acc : f32
    %s = arith.addf %p, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%d : memref<4x32xf64>) outs(%out64 : memref<4xf64>) {
  ^bb0(%in: f64, %acc: f64):
    %s = arith.addf %acc, %in : f64
    linalg.yield %s : f64
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%x : memref<4x32xf32>) outs(%scalar : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x32xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// Tests attention's batch matmul: blocks of 16 x 16 threads over 64 x 64
// tiles of each batch (grid [ceil(40 / 64) * 3, ceil(24 / 64)]), each
// thread 4 x 4 accumulators updated with math.fma over k in order from
// clamped loads, then C += sum where the element exists.
// CHECK-LABEL: func.func @attention_scores
// CHECK-NOT: linalg.batch_matmul
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c3, {{.*}} = %c1, {{.*}} = %c1) threads({{.*}}) in ({{.*}} = %c16, {{.*}} = %c16, {{.*}} = %c1) module(@matmul0_tiled) function(@matmul0_tiled)
// CHECK:   arith.minui
// CHECK:   scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-4: memref.load %{{.*}} : memref<3x40x16xf32>
// CHECK-COUNT-4: memref.load %{{.*}} : memref<3x16x24xf32>
// CHECK-COUNT-16: math.fma
// CHECK: scf.if
// CHECK:   memref.load %{{.*}} : memref<3x40x24xf32>
// CHECK:   arith.addf
// CHECK:   memref.store %{{.*}} : memref<3x40x24xf32>
// EMULATE-LABEL: func.func @attention_scores
// EMULATE: scf.parallel ({{.*}}) = (%c0, %c0, %c0) to (%c3, %c16, %c16)
// EMULATE-COUNT-16: math.fma
func.func @attention_scores(%q: memref<3x40x16xf32>, %k: memref<3x16x24xf32>, %s: memref<3x40x24xf32>) {
  linalg.batch_matmul ins(%q, %k : memref<3x40x16xf32>, memref<3x16x24xf32>) outs(%s : memref<3x40x24xf32>)
  return
}

// -----

// Tests a 2-D matmul with a dynamic M, a bf16 batch matmul accumulated in
// f32 (its loads widened), and that a transposed batch matmul and one with
// an f16 result stay with the generic mapping.
// CHECK-LABEL: func.func @matmuls
// CHECK: gpu.launch {{.*}} module(@matmul0_tiled)
// CHECK: gpu.launch {{.*}} module(@matmul1_tiled)
// CHECK-COUNT-8: arith.extf {{.*}} : bf16 to f32
// CHECK: linalg.batch_matmul indexing_maps
// CHECK: linalg.batch_matmul ins({{.*}} : memref<2x8x8xf16>
func.func @matmuls(%a: memref<?x16xf32>, %b: memref<16x8xf32>, %c: memref<?x8xf32>, %bq: memref<2x8x16xbf16>, %bk: memref<2x16x8xbf16>, %bs: memref<2x8x8xf32>, %x: memref<2x8x8xf32>, %y: memref<2x8x8xf32>, %h: memref<2x8x8xf16>, %hc: memref<2x8x8xf16>) {
  linalg.matmul ins(%a, %b : memref<?x16xf32>, memref<16x8xf32>) outs(%c : memref<?x8xf32>)
  linalg.batch_matmul ins(%bq, %bk : memref<2x8x16xbf16>, memref<2x16x8xbf16>) outs(%bs : memref<2x8x8xf32>)
  linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d3, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] ins(%x, %x : memref<2x8x8xf32>, memref<2x8x8xf32>) outs(%y : memref<2x8x8xf32>)
  linalg.batch_matmul ins(%h, %h : memref<2x8x8xf16>, memref<2x8x8xf16>) outs(%hc : memref<2x8x8xf16>)
  return
}
