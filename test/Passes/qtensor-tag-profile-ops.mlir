// RUN: qtensor-opt %s --qtensor-tag-profile-ops --mlir-print-debuginfo | FileCheck %s

// A linear (a contraction of a weight parameter, through its int8
// conversion) and its epilogue are named after the weight, without ".data";
// a contraction of two activations is attention, named after its module
// path and own source line; the weight conversion, the fill and the
// elementwise op stay untagged.
// CHECK-LABEL: func.func @forward
// CHECK: linalg.generic {{.*}} attrs = {qtensor.weight_convert}
// CHECK: } -> tensor<4x8xf32> loc(#[[CONVERT:loc[0-9]+]])
// CHECK: linalg.fill {{.*}} loc(#[[FILL:loc[0-9]+]])
// CHECK: } -> tensor<1x4xf32> loc(#[[CONTRACTION:loc[0-9]+]])
// CHECK: } -> tensor<1x4xf32> loc(#[[EPILOGUE:loc[0-9]+]])
// CHECK: } -> tensor<1x4xf32> loc(#[[SCORES:loc[0-9]+]])
// CHECK: } -> tensor<1x4xf32> loc(#[[EXP:loc[0-9]+]])
// CHECK-DAG: #[[CONVERT]] = loc("{{.*}}":{{[0-9]+}}:{{[0-9]+}})
// CHECK-DAG: #[[FILL]] = loc("{{.*}}":{{[0-9]+}}:{{[0-9]+}})
// CHECK-DAG: #[[EXP]] = loc("model.py":43:8)
// CHECK-DAG: #[[CONTRACTION]] = loc("qtensor.profile:linear:fc.weight"(#{{loc[0-9]+}}))
// CHECK-DAG: #[[EPILOGUE]] = loc("qtensor.profile:linear:fc.weight"(#{{loc[0-9]+}}))
// CHECK-DAG: #[[SCORES]] = loc("qtensor.profile:attention:layers.0.attention model.py:42"(#{{loc[0-9]+}}))
#mm_x = affine_map<(m, n, k) -> (m, k)>
#mm_w = affine_map<(m, n, k) -> (n, k)>
#mm_y = affine_map<(m, n, k) -> (m, n)>
#id2 = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (i, 0)>
#row = affine_map<(i, j) -> (j, 0)>
module attributes {qtensor.parameters = [
    {argument = 1 : i64, function = "forward", name = "fc.weight.data"},
    {argument = 2 : i64, function = "forward", name = "fc.weight.scale"}]} {
  func.func @forward(%x: tensor<1x8xf32>, %w: tensor<4x8xi8>, %s: tensor<4x1xf32>, %k: tensor<4x8xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
    %zero = arith.constant 0.0 : f32
    %empty_w = tensor.empty() : tensor<4x8xf32>
    %wf = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<4x8xi8>) outs(%empty_w : tensor<4x8xf32>) attrs = {qtensor.weight_convert} {
    ^bb0(%in: i8, %out: f32):
      %f = arith.sitofp %in : i8 to f32
      linalg.yield %f : f32
    } -> tensor<4x8xf32>
    %empty = tensor.empty() : tensor<1x4xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x4xf32>) -> tensor<1x4xf32>
    %acc = linalg.generic {indexing_maps = [#mm_x, #mm_w, #mm_y], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %wf : tensor<1x8xf32>, tensor<4x8xf32>) outs(%fill : tensor<1x4xf32>) {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %p = arith.mulf %a, %b : f32
      %r = arith.addf %c, %p : f32
      linalg.yield %r : f32
    } -> tensor<1x4xf32>
    %y = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]} ins(%acc, %s : tensor<1x4xf32>, tensor<4x1xf32>) outs(%empty : tensor<1x4xf32>) attrs = {qtensor.epilogue} {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %p = arith.mulf %a, %b : f32
      linalg.yield %p : f32
    } -> tensor<1x4xf32>
    %scores = linalg.generic {indexing_maps = [#mm_x, #mm_w, #mm_y], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %k : tensor<1x8xf32>, tensor<4x8xf32>) outs(%fill : tensor<1x4xf32>) {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %p = arith.mulf %a, %b : f32
      %r = arith.addf %c, %p : f32
      linalg.yield %r : f32
    } -> tensor<1x4xf32> loc(fused<"layers.0.attention">["model.py":10:4, "model.py":42:8])
    %exp = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%scores : tensor<1x4xf32>) outs(%empty : tensor<1x4xf32>) {
    ^bb0(%a: f32, %c: f32):
      %e = math.exp %a : f32
      linalg.yield %e : f32
    } -> tensor<1x4xf32> loc("model.py":43:8)
    return %y, %scores, %exp : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
  }
}
