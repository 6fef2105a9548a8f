// Tests that the GPU kernels' int8 weight conversion (no int-to-float
// instruction: to f32 a byte shuffle into the mantissa of 2^23 for slices
// of 4 or more bytes, a widening or below, then a subtraction; to f16 a
// shuffle under the byte 0x64, then a subtraction; to bf16 the high half of
// the f32) gives every int8 value exactly, at every slice width and in
// every kernel. Each weight runs through all 256 int8 values, the inputs
// are one-hot rows and the scale 1, so the outputs are the converted
// weight, compared exactly (check_output.py: an integer oracle) with the
// values themselves. The batches (K rows, or 32) go to the tiled or
// tensor-core kernel (above the default small-m of 4) and, with
// small-m=64, to the split-K kernel; the emulated bodies are the ones the
// GPU runs.

// RUN: rm -rf %t && mkdir -p %t
// f32, K = 64: the shared-memory tiled kernel (V = 16, 64 divides K).
// RUN: %torch_python %S/make_int8_conversion_case.py 64 %t/f32-k64 --dtype f32
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/f32-k64/model.mlir | %mlir_runner > %t/f32-k64/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/f32-k64/model.mlir | %mlir_runner > %t/f32-k64/splitk.txt
// RUN: %torch_python %S/check_output.py %t/f32-k64/expected.npz %t/f32-k64/default.txt %t/f32-k64/splitk.txt | FileCheck %s --check-prefix=F32_K64
// f32, K = 16: V = 16.
// RUN: %torch_python %S/make_int8_conversion_case.py 16 %t/f32-k16 --dtype f32
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/f32-k16/model.mlir | %mlir_runner > %t/f32-k16/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/f32-k16/model.mlir | %mlir_runner > %t/f32-k16/splitk.txt
// RUN: %torch_python %S/check_output.py %t/f32-k16/expected.npz %t/f32-k16/default.txt %t/f32-k16/splitk.txt | FileCheck %s --check-prefix=F32_K16
// f32, K = 8: V = 8.
// RUN: %torch_python %S/make_int8_conversion_case.py 8 %t/f32-k8 --dtype f32
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/f32-k8/model.mlir | %mlir_runner > %t/f32-k8/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/f32-k8/model.mlir | %mlir_runner > %t/f32-k8/splitk.txt
// RUN: %torch_python %S/check_output.py %t/f32-k8/expected.npz %t/f32-k8/default.txt %t/f32-k8/splitk.txt | FileCheck %s --check-prefix=F32_K8
// f32, K = 12: V = 4.
// RUN: %torch_python %S/make_int8_conversion_case.py 12 %t/f32-k12 --dtype f32
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/f32-k12/model.mlir | %mlir_runner > %t/f32-k12/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/f32-k12/model.mlir | %mlir_runner > %t/f32-k12/splitk.txt
// RUN: %torch_python %S/check_output.py %t/f32-k12/expected.npz %t/f32-k12/default.txt %t/f32-k12/splitk.txt | FileCheck %s --check-prefix=F32_K12
// f32, K = 6: V = 2.
// RUN: %torch_python %S/make_int8_conversion_case.py 6 %t/f32-k6 --dtype f32
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/f32-k6/model.mlir | %mlir_runner > %t/f32-k6/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/f32-k6/model.mlir | %mlir_runner > %t/f32-k6/splitk.txt
// RUN: %torch_python %S/check_output.py %t/f32-k6/expected.npz %t/f32-k6/default.txt %t/f32-k6/splitk.txt | FileCheck %s --check-prefix=F32_K6
// f32, K = 9: V = 1.
// RUN: %torch_python %S/make_int8_conversion_case.py 9 %t/f32-k9 --dtype f32
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/f32-k9/model.mlir | %mlir_runner > %t/f32-k9/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/f32-k9/model.mlir | %mlir_runner > %t/f32-k9/splitk.txt
// RUN: %torch_python %S/check_output.py %t/f32-k9/expected.npz %t/f32-k9/default.txt %t/f32-k9/splitk.txt | FileCheck %s --check-prefix=F32_K9
// bf16, K = 16: the mma kernel, 4 bytes per weight load.
// RUN: %torch_python %S/make_int8_conversion_case.py 16 %t/bf16-k16 --dtype bf16
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/bf16-k16/model.mlir | %mlir_runner > %t/bf16-k16/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/bf16-k16/model.mlir | %mlir_runner > %t/bf16-k16/splitk.txt
// RUN: %torch_python %S/check_output.py %t/bf16-k16/expected.npz %t/bf16-k16/default.txt %t/bf16-k16/splitk.txt | FileCheck %s --check-prefix=BF16_K16
// f16, K = 32: the mma kernel, 8 bytes per weight load.
// RUN: %torch_python %S/make_int8_conversion_case.py 32 %t/f16-k32 --dtype f16
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/f16-k32/model.mlir | %mlir_runner > %t/f16-k32/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/f16-k32/model.mlir | %mlir_runner > %t/f16-k32/splitk.txt
// RUN: %torch_python %S/check_output.py %t/f16-k32/expected.npz %t/f16-k32/default.txt %t/f16-k32/splitk.txt | FileCheck %s --check-prefix=F16_K32
// f16, K = 64: the mma kernel, 16 bytes per weight load.
// RUN: %torch_python %S/make_int8_conversion_case.py 64 %t/f16-k64 --dtype f16
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/f16-k64/model.mlir | %mlir_runner > %t/f16-k64/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/f16-k64/model.mlir | %mlir_runner > %t/f16-k64/splitk.txt
// RUN: %torch_python %S/check_output.py %t/f16-k64/expected.npz %t/f16-k64/default.txt %t/f16-k64/splitk.txt | FileCheck %s --check-prefix=F16_K64
// bf16, K = 256: 32-row calls: the K-split mma kernel.
// RUN: %torch_python %S/make_int8_conversion_case.py 256 %t/bf16-k256-m32 --dtype bf16 --rows 32
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/bf16-k256-m32/model.mlir | %mlir_runner > %t/bf16-k256-m32/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/bf16-k256-m32/model.mlir | %mlir_runner > %t/bf16-k256-m32/splitk.txt
// RUN: %torch_python %S/check_output.py %t/bf16-k256-m32/expected.npz %t/bf16-k256-m32/default.txt %t/bf16-k256-m32/splitk.txt | FileCheck %s --check-prefix=BF16_K256_M32
// f16, K = 256: 32-row calls: the K-split mma kernel.
// RUN: %torch_python %S/make_int8_conversion_case.py 256 %t/f16-k256-m32 --dtype f16 --rows 32
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/f16-k256-m32/model.mlir | %mlir_runner > %t/f16-k256-m32/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/f16-k256-m32/model.mlir | %mlir_runner > %t/f16-k256-m32/splitk.txt
// RUN: %torch_python %S/check_output.py %t/f16-k256-m32/expected.npz %t/f16-k256-m32/default.txt %t/f16-k256-m32/splitk.txt | FileCheck %s --check-prefix=F16_K256_M32

// F32_K64: default.txt result 0 vs oracle: equal=True mismatches=0
// F32_K64: splitk.txt result 0 vs oracle: equal=True mismatches=0
// F32_K16: default.txt result 0 vs oracle: equal=True mismatches=0
// F32_K16: splitk.txt result 0 vs oracle: equal=True mismatches=0
// F32_K8: default.txt result 0 vs oracle: equal=True mismatches=0
// F32_K8: splitk.txt result 0 vs oracle: equal=True mismatches=0
// F32_K12: default.txt result 0 vs oracle: equal=True mismatches=0
// F32_K12: splitk.txt result 0 vs oracle: equal=True mismatches=0
// F32_K6: default.txt result 0 vs oracle: equal=True mismatches=0
// F32_K6: splitk.txt result 0 vs oracle: equal=True mismatches=0
// F32_K9: default.txt result 0 vs oracle: equal=True mismatches=0
// F32_K9: splitk.txt result 0 vs oracle: equal=True mismatches=0
// BF16_K16: default.txt result 0 vs oracle: equal=True mismatches=0
// BF16_K16: splitk.txt result 0 vs oracle: equal=True mismatches=0
// F16_K32: default.txt result 0 vs oracle: equal=True mismatches=0
// F16_K32: splitk.txt result 0 vs oracle: equal=True mismatches=0
// F16_K64: default.txt result 0 vs oracle: equal=True mismatches=0
// F16_K64: splitk.txt result 0 vs oracle: equal=True mismatches=0
// BF16_K256_M32: default.txt result 0 vs oracle: equal=True mismatches=0
// BF16_K256_M32: default.txt result 1 vs oracle: equal=True mismatches=0
// BF16_K256_M32: default.txt result 2 vs oracle: equal=True mismatches=0
// BF16_K256_M32: default.txt result 3 vs oracle: equal=True mismatches=0
// BF16_K256_M32: default.txt result 4 vs oracle: equal=True mismatches=0
// BF16_K256_M32: default.txt result 5 vs oracle: equal=True mismatches=0
// BF16_K256_M32: default.txt result 6 vs oracle: equal=True mismatches=0
// BF16_K256_M32: default.txt result 7 vs oracle: equal=True mismatches=0
// BF16_K256_M32: splitk.txt result 0 vs oracle: equal=True mismatches=0
// BF16_K256_M32: splitk.txt result 1 vs oracle: equal=True mismatches=0
// BF16_K256_M32: splitk.txt result 2 vs oracle: equal=True mismatches=0
// BF16_K256_M32: splitk.txt result 3 vs oracle: equal=True mismatches=0
// BF16_K256_M32: splitk.txt result 4 vs oracle: equal=True mismatches=0
// BF16_K256_M32: splitk.txt result 5 vs oracle: equal=True mismatches=0
// BF16_K256_M32: splitk.txt result 6 vs oracle: equal=True mismatches=0
// BF16_K256_M32: splitk.txt result 7 vs oracle: equal=True mismatches=0
// F16_K256_M32: default.txt result 0 vs oracle: equal=True mismatches=0
// F16_K256_M32: default.txt result 1 vs oracle: equal=True mismatches=0
// F16_K256_M32: default.txt result 2 vs oracle: equal=True mismatches=0
// F16_K256_M32: default.txt result 3 vs oracle: equal=True mismatches=0
// F16_K256_M32: default.txt result 4 vs oracle: equal=True mismatches=0
// F16_K256_M32: default.txt result 5 vs oracle: equal=True mismatches=0
// F16_K256_M32: default.txt result 6 vs oracle: equal=True mismatches=0
// F16_K256_M32: default.txt result 7 vs oracle: equal=True mismatches=0
// F16_K256_M32: splitk.txt result 0 vs oracle: equal=True mismatches=0
// F16_K256_M32: splitk.txt result 1 vs oracle: equal=True mismatches=0
// F16_K256_M32: splitk.txt result 2 vs oracle: equal=True mismatches=0
// F16_K256_M32: splitk.txt result 3 vs oracle: equal=True mismatches=0
// F16_K256_M32: splitk.txt result 4 vs oracle: equal=True mismatches=0
// F16_K256_M32: splitk.txt result 5 vs oracle: equal=True mismatches=0
// F16_K256_M32: splitk.txt result 6 vs oracle: equal=True mismatches=0
// F16_K256_M32: splitk.txt result 7 vs oracle: equal=True mismatches=0
