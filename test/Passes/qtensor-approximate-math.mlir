// RUN: qtensor-opt --qtensor-approximate-math %s | FileCheck %s

// Tests that exp, expm1, log, log1p, log2, tanh and erf become polynomial
// arithmetic on vectors and scalars, f32 and bf16 (through f32), and that
// functions without an approximation here (sqrt, sin) are kept.

// CHECK-LABEL: func.func @vectors
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: math.log
// CHECK: math.fma {{.*}} : vector<8xf32>
// CHECK: return
func.func @vectors(%x: vector<8xf32>) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
  %e = math.exp %x : vector<8xf32>
  %t = math.tanh %x : vector<8xf32>
  %r = math.erf %x : vector<8xf32>
  %l = math.log %x : vector<8xf32>
  return %e, %t, %r, %l : vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>
}

// CHECK-LABEL: func.func @scalars
// CHECK-NOT: math.expm1
// CHECK-NOT: math.log1p
// CHECK-NOT: math.log2
// CHECK: return
func.func @scalars(%x: f32) -> (f32, f32, f32) {
  %a = math.expm1 %x : f32
  %b = math.log1p %x : f32
  %c = math.log2 %x : f32
  return %a, %b, %c : f32, f32, f32
}

// CHECK-LABEL: func.func @bf16
// CHECK: arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK-NOT: math.exp
// CHECK: arith.truncf {{.*}} : vector<8xf32> to vector<8xbf16>
func.func @bf16(%x: vector<8xbf16>) -> vector<8xbf16> {
  %e = math.exp %x : vector<8xbf16>
  return %e : vector<8xbf16>
}

// CHECK-LABEL: func.func @kept
// CHECK: math.sqrt
// CHECK: math.sin
func.func @kept(%x: vector<8xf32>) -> (vector<8xf32>, vector<8xf32>) {
  %s = math.sqrt %x : vector<8xf32>
  %n = math.sin %x : vector<8xf32>
  return %s, %n : vector<8xf32>, vector<8xf32>
}
