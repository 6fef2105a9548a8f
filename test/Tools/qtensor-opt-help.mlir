// Tests that qtensor-opt knows the qtensor dialect beside the upstream ones.
// RUN: qtensor-opt --help | FileCheck %s
// RUN: qtensor-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS

// CHECK: qtensor modular optimizer driver
// CHECK: Available Dialects: {{.*}}linalg{{.*}}qtensor
// CHECK: --canonicalize
// DIALECTS: qtensor
