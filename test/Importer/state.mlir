// Tests that the buffers a scripted decoder writes (its KV cache) import as
// state: arguments of @forward after the inputs, named and holding their
// saved values, whose final values are the last results; the cache writes
// (k_cache[:, :, input_pos] = k, v_cache.index_copy_) become scatters that
// write nothing unless every position is in range, and that check is the
// status result; the positions and token ids are bounded inputs. Models
// that write anything but a buffer are refused.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_decoder_models.py %t
// RUN: qtensor-import %t/decoder_scripted.pt --input-shape 1xT:i64 --input-shape T:i64 | FileCheck %s

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IDX:[a-z0-9]+]]: tensor<1x?xi64>
// CHECK-SAME: %[[POS:[a-z0-9]+]]: tensor<?xi64>
// CHECK-SAME: %[[K0:[a-z0-9]+]]: tensor<1x2x32x16xf32> {qtensor.initial_value = dense<0.000000e+00> : tensor<1x2x32x16xf32>, qtensor.state = "layers.0.attention.kv_cache.k_cache"}
// CHECK-SAME: tensor<1x2x32x16xf32>, qtensor.state = "layers.0.attention.kv_cache.v_cache"}
// CHECK-SAME: tensor<1x2x32x16xf32>, qtensor.state = "layers.1.attention.kv_cache.k_cache"}
// CHECK-SAME: tensor<1x2x32x16xf32>, qtensor.state = "layers.1.attention.kv_cache.v_cache"}
// CHECK-SAME: -> (tensor<1x?x96xf32>, tensor<i32> {qtensor.status = ["a position is out of range of the state buffer 'layers.0.attention.kv_cache.k_cache' along dimension 2 (positions must be >= 0 and < 32) at {{.*}}make_decoder_models.py:{{[0-9:]+}} (module layers.0.attention.kv_cache)",
// CHECK-SAME: tensor<1x2x32x16xf32> {qtensor.state = "layers.0.attention.kv_cache.k_cache"}
// CHECK-SAME: tensor<1x2x32x16xf32> {qtensor.state = "layers.1.attention.kv_cache.v_cache"})
// Token ids below the vocabulary, positions below the cache length.
// CHECK-SAME: attributes {qtensor.input_bounds = array<i64: 96, 32>}

// The k cache write: every position checked first, ...
// CHECK: %[[OK:.*]] = scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ALL:.*]] = %true{{.*}}) -> (i1)
// CHECK:   %[[P:.*]] = tensor.extract %[[POS]][%[[T]]]
// CHECK:   %[[I:.*]] = arith.index_cast %[[P]] : i64 to index
// CHECK:   %[[GE:.*]] = arith.cmpi sge, %[[I]], %{{.*}}
// CHECK:   %[[LT:.*]] = arith.cmpi slt, %[[I]], %{{.*}}
// CHECK:   %[[IN:.*]] = arith.andi %[[GE]], %[[LT]]
// CHECK:   %[[AND:.*]] = arith.andi %[[ALL]], %[[IN]]
// CHECK:   scf.yield %[[AND]]
// ... then one slice per position into the cache, or nothing.
// CHECK: %[[K0NEW:.*]] = scf.if %[[OK]] -> (tensor<1x2x32x16xf32>) {
// CHECK:   scf.for {{.*}} iter_args(%[[CACHE:.*]] = %[[K0]])
// CHECK:     tensor.extract_slice {{.*}}[0, 0, %{{.*}}, 0] [1, 2, 1, 16] [1, 1, 1, 1] : tensor<1x2x?x16xf32> to tensor<1x2x1x16xf32>
// CHECK:     tensor.insert_slice {{.*}} into %[[CACHE]][0, 0, %{{.*}}, 0] [1, 2, 1, 16] [1, 1, 1, 1] : tensor<1x2x1x16xf32> into tensor<1x2x32x16xf32>
// CHECK: } else {
// CHECK:   scf.yield %[[K0]]
// Attention reads the written cache.
// CHECK: tensor.expand_shape %[[K0NEW]]

// The status: 0, or 1 + the first failed check.
// CHECK: %[[S:.*]] = arith.select %[[OK]], %{{.*}}, %c1_i32
// CHECK: %[[STATUS:.*]] = tensor.from_elements %[[S]] : tensor<i32>
// CHECK: return %{{.*}}, %[[STATUS]], %[[K0NEW]], %{{.*}}, %{{.*}}, %{{.*}} :

// RUN: %expect_exit 2 qtensor-import %t/bad_write_input.pt --input-shape 8x4 --input-shape 1:i64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=INPUT
// INPUT: error: forward writes into its input 'x' in place; only the module's buffers may be written (they become the model's state) at {{.*}}make_decoder_models.py:
// RUN: %expect_exit 2 qtensor-import %t/bad_write_param.pt --input-shape 1x4 --input-shape 1:i64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=PARAM
// PARAM: error: forward writes into the parameter 'w'; only buffers may be written in place (they become the model's state)
// A traced decoder has its token count fixed.
// RUN: %expect_exit 2 qtensor-import %t/decoder_traced.pt --input-shape 1xT:i64 --input-shape T:i64 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=TRACED
// TRACED: error: {{.*}}; the model was traced, which fixes its shapes: compile it for the shapes it was traced with, or save it with torch.jit.script for others
// RUN: not test -e %t/out.mlir
