// Tests that qtensor-opt knows the qtensor dialect and passes beside the
// upstream ones.
// RUN: qtensor-opt --help | FileCheck %s
// RUN: qtensor-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS

// CHECK: qtensor modular optimizer driver
// CHECK: Available Dialects: {{.*}}linalg{{.*}}qtensor
// CHECK: --canonicalize
// CHECK-DAG: --qtensor-cpu-pipeline
// CHECK-DAG: --qtensor-decompose-linear
// CHECK-DAG: --qtensor-extract-parameters
// CHECK-DAG: --qtensor-fuse-mixed-matmul
// CHECK-DAG: --qtensor-lower-to-linalg
// CHECK-DAG: --qtensor-pack-weights
// CHECK-DAG: --qtensor-quantize-weights
// CHECK-DAG: --qtensor-tile-and-vectorize
// DIALECTS: qtensor
