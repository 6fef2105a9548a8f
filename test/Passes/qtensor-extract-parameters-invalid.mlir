// RUN: qtensor-opt --qtensor-extract-parameters --verify-diagnostics %s

// Tests that a public function called inside the module is refused: its
// callers would need the new arguments.
// expected-error @+1 {{cannot move constants into parameters of @forward: it is called within the module, and its callers would need the new arguments}}
func.func @forward(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = qtensor.linear %x, %w : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
func.func @main(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %y = func.call @forward(%x) : (tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
