// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t functional
// RUN: qtensor-import %t/functional.pt --input-shape ?x24 -o %t/functional.mlir
// RUN: FileCheck %s < %t/functional.mlir
// RUN: FileCheck %s --check-prefix=LOCS < %t/functional.mlir

// Tests that F.linear inside a custom module imports like nn.Linear, with
// the custom module's parameter names, located at the top-level forward's
// call (make_models.py:52, `self.proj(x)`) fused with the F.linear line
// inside the custom module (make_models.py:43), the fusion naming the
// module (proj), and that gelu (erf form) follows.
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[X:.*]]: tensor<?x24xf32> {{.*}}) -> tensor<?x16xf32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<proj.weight> : tensor<16x24xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense_resource<proj.bias> : tensor<16xf32>
// CHECK: %[[Y:.*]] = qtensor.linear %[[X]], %[[W]], %[[B]] : tensor<?x24xf32>, tensor<16x24xf32>, tensor<16xf32> -> tensor<?x16xf32>
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<?x16xf32>)
// CHECK:   math.erf
// LOCS-DAG: #[[OUTER:loc[0-9]+]] = loc("{{.*}}make_models.py":52:23)
// LOCS-DAG: #[[INNER:loc[0-9]+]] = loc("{{.*}}make_models.py":43:16)
// LOCS-DAG: #[[LOC:loc[0-9]+]] = loc(fused<"proj">[#[[OUTER]], #[[INNER]]])
// LOCS-DAG: qtensor.linear {{.*}} loc(#[[LOC]])
