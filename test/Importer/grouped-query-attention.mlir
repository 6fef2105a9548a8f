// Tests grouped-query attention: the decoder of make_decoder_models.py (4
// query heads sharing 2 KV heads) writes `repeat_interleave(k, 2, dim=1)`
// before `q @ k.transpose(2, 3)` and `p @ v`; the importer multiplies each
// group of query heads by its KV head where the cache lies ([2, 32, 16],
// collapsed from the state), and no copy of the cache repeated per query
// head ([1, 2, 2, 32, 16]) is left once the dead repeats fold away.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_decoder_models.py %t --only-scripted
// RUN: qtensor-import %t/decoder_scripted.pt --input-shape 1xT:i64 --input-shape T:i64 | qtensor-opt --canonicalize | FileCheck %s --implicit-check-not='tensor<1x2x2x32x16xf32>'

// The scores: k [S, D] times the queries transposed, [2, 16, n T].
// CHECK: %[[KEYS:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] : tensor<1x2x32x16xf32> into tensor<2x32x16xf32>
// CHECK: %[[QUERIES:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x?x16xf32>)
// CHECK: %[[SCORES:.*]] = linalg.batch_matmul ins(%[[KEYS]], %[[QUERIES]] : tensor<2x32x16xf32>, tensor<2x16x?xf32>)
// CHECK: linalg.transpose ins(%[[SCORES]] : tensor<2x32x?xf32>) outs(%{{.*}} : tensor<2x?x32xf32>) permutation = [0, 2, 1]
// The output: the probabilities of each group's n T rows times v [S, D].
// CHECK: %[[PROBS:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2, 3], [4]] : tensor<1x2x2x?x32xf32> into tensor<2x?x32xf32>
// CHECK: %[[VALUES:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] : tensor<1x2x32x16xf32> into tensor<2x32x16xf32>
// CHECK: linalg.batch_matmul ins(%[[PROBS]], %[[VALUES]] : tensor<2x?x32xf32>, tensor<2x32x16xf32>)
