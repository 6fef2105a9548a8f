// Tests that a model whose first layer reads input rows 2 KiB apart (K = 512,
// copied by the tiling into rows with a padded stride) runs on batches of 1,
// 5 and 21 rows (a full 16-row tile, then 4-row and 1-row GEMV tiles),
// compiled through --qtensor-cpu-pipeline and run under mlir-runner, and
// matches the oracle (the seed's quantizer and mm formula, run by PyTorch)
// with rtol 1e-4 and atol 1e-5 * max|oracle|; the fused program and the
// unfused stage-2 program (fuse=false) are compiled separately and must agree.

// RUN: rm -rf %t && mkdir -p %t
// RUN: %torch_python %S/make_model_case.py padded %t
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false" %t/model.mlir | %mlir_runner > %t/fused.txt
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false fuse=false" %t/model.mlir | %mlir_runner > %t/unfused.txt
// RUN: %torch_python %S/check_output.py %t/expected.npz %t/fused.txt %t/unfused.txt | FileCheck %s

// CHECK: fused.txt result 0 vs oracle: allclose=True
// CHECK: fused.txt result 1 vs oracle: allclose=True
// CHECK: fused.txt result 2 vs oracle: allclose=True
// CHECK: unfused.txt result 0 vs oracle: allclose=True
// CHECK: fused.txt vs {{.*}}unfused.txt result 0: allclose=True
