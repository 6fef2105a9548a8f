// Tests that qtensor.quantize of a weight known only at run time, compiled
// through --qtensor-cpu-pipeline, produces exactly the seed's int8 data and
// f32 scale bits (random rows over eight decades, exact .5 ties, denormal,
// huge, all-zero and negative-zero rows), as PyTorch computes them.

// RUN: rm -rf %t && mkdir -p %t
// RUN: %torch_python %S/make_model_case.py quantize %t
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false" %t/model.mlir | %mlir_runner > %t/out.txt
// RUN: %torch_python %S/check_output.py %t/expected.npz %t/out.txt | FileCheck %s

// CHECK: result 0 vs oracle: equal=True mismatches=0
// CHECK: result 1 vs oracle: equal=True mismatches=0
