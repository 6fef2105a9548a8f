// Tests that the GPU kernels' int8 -> f32 weight conversion (no
// int-to-float instruction: a byte shuffle into the mantissa of 2^23 for
// slices of 4 or more bytes, a widening or below, then a subtraction) gives
// every int8 value exactly, at every slice width V the kernels use. Each
// weight runs through all 256 int8 values, the input is the identity and
// the scale 1, so the output is the converted weight, compared exactly
// (check_output.py: integer oracle) with the values themselves. K rows go
// to the tiled kernel (above the default small-m of 4) and, with
// small-m=64, to the split-K kernel; the emulated bodies are the ones the
// GPU runs.

// RUN: rm -rf %t && mkdir -p %t
// K = 64: the shared-memory tiled kernel (V = 16, 64 divides K).
// RUN: %torch_python %S/make_int8_conversion_case.py 64 %t/k64
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/k64/model.mlir | %mlir_runner > %t/k64/tiled.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/k64/model.mlir | %mlir_runner > %t/k64/splitk.txt
// RUN: %torch_python %S/check_output.py %t/k64/expected.npz %t/k64/tiled.txt %t/k64/splitk.txt | FileCheck %s --check-prefix=K64
// K = 16: V = 16.
// RUN: %torch_python %S/make_int8_conversion_case.py 16 %t/k16
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/k16/model.mlir | %mlir_runner > %t/k16/tiled.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/k16/model.mlir | %mlir_runner > %t/k16/splitk.txt
// RUN: %torch_python %S/check_output.py %t/k16/expected.npz %t/k16/tiled.txt %t/k16/splitk.txt | FileCheck %s --check-prefix=K16
// K = 8: V = 8.
// RUN: %torch_python %S/make_int8_conversion_case.py 8 %t/k8
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/k8/model.mlir | %mlir_runner > %t/k8/tiled.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/k8/model.mlir | %mlir_runner > %t/k8/splitk.txt
// RUN: %torch_python %S/check_output.py %t/k8/expected.npz %t/k8/tiled.txt %t/k8/splitk.txt | FileCheck %s --check-prefix=K8
// K = 12: V = 4.
// RUN: %torch_python %S/make_int8_conversion_case.py 12 %t/k12
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/k12/model.mlir | %mlir_runner > %t/k12/tiled.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/k12/model.mlir | %mlir_runner > %t/k12/splitk.txt
// RUN: %torch_python %S/check_output.py %t/k12/expected.npz %t/k12/tiled.txt %t/k12/splitk.txt | FileCheck %s --check-prefix=K12
// K = 6: V = 2.
// RUN: %torch_python %S/make_int8_conversion_case.py 6 %t/k6
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/k6/model.mlir | %mlir_runner > %t/k6/tiled.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/k6/model.mlir | %mlir_runner > %t/k6/splitk.txt
// RUN: %torch_python %S/check_output.py %t/k6/expected.npz %t/k6/tiled.txt %t/k6/splitk.txt | FileCheck %s --check-prefix=K6
// K = 9: V = 1.
// RUN: %torch_python %S/make_int8_conversion_case.py 9 %t/k9
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/k9/model.mlir | %mlir_runner > %t/k9/tiled.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/k9/model.mlir | %mlir_runner > %t/k9/splitk.txt
// RUN: %torch_python %S/check_output.py %t/k9/expected.npz %t/k9/tiled.txt %t/k9/splitk.txt | FileCheck %s --check-prefix=K9

// K64: tiled.txt result 0 vs oracle: equal=True mismatches=0
// K64: splitk.txt result 0 vs oracle: equal=True mismatches=0
// K16: tiled.txt result 0 vs oracle: equal=True mismatches=0
// K16: splitk.txt result 0 vs oracle: equal=True mismatches=0
// K8: tiled.txt result 0 vs oracle: equal=True mismatches=0
// K8: splitk.txt result 0 vs oracle: equal=True mismatches=0
// K12: tiled.txt result 0 vs oracle: equal=True mismatches=0
// K12: splitk.txt result 0 vs oracle: equal=True mismatches=0
// K6: tiled.txt result 0 vs oracle: equal=True mismatches=0
// K6: splitk.txt result 0 vs oracle: equal=True mismatches=0
// K9: tiled.txt result 0 vs oracle: equal=True mismatches=0
// K9: splitk.txt result 0 vs oracle: equal=True mismatches=0
