// Tests that the seed's ToyModel(64, 128, 32): two bias-free linears on x [4, 8, 64]
// compiles through --qtensor-cpu-pipeline, runs under mlir-runner, and
// matches the oracle (the seed's quantizer and mm formula, run by PyTorch)
// with rtol 1e-4 and atol 1e-5 * max|oracle|; the fused program and the
// unfused stage-2 program (fuse=false) are compiled separately and must agree.

// RUN: rm -rf %t && mkdir -p %t
// RUN: %torch_python %S/make_model_case.py toy %t
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false" %t/model.mlir | %mlir_runner > %t/fused.txt
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false fuse=false" %t/model.mlir | %mlir_runner > %t/unfused.txt
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false pack-weights=true" %t/model.mlir | %mlir_runner > %t/packed.txt
// RUN: %torch_python %S/check_output.py %t/expected.npz %t/fused.txt %t/unfused.txt %t/packed.txt | FileCheck %s

// CHECK: fused.txt result 0 vs oracle: allclose=True
// CHECK: unfused.txt result 0 vs oracle: allclose=True
// CHECK: fused.txt vs {{.*}}unfused.txt result 0: allclose=True
