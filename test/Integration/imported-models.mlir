// Tests that TorchScript models imported by qtensor-import compile through
// --qtensor-cpu-pipeline and match LibTorch on the same inputs: quantized,
// against the oracle (every weight through the seed's quantizer, LibTorch
// eager); with quantization=none, against the float model. Models: the seed's
// ToyModel, bias + relu on a 4-D input with odd sizes, F.linear inside a
// custom module (with gelu, via libm's erf), `x @ self.w.t()`, and the op
// coverage model (float: mm, addmm, arithmetic, activations, reshapes,
// softmax, two outputs).

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_models.py %t toy mlp4d functional matmul_t ops

// RUN: qtensor-import %t/toy.pt --input-shape 4x8x64 -o %t/toy.mlir
// RUN: mkdir -p %t/toy && %torch_python %S/run_imported.py %t/toy.pt %t/toy.mlir %t/toy 4x8x64
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false" %t/toy/run.mlir | %mlir_runner > %t/toy/int8.txt
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false quantization=none" %t/toy/run.mlir | %mlir_runner > %t/toy/float.txt
// RUN: %torch_python %S/check_output.py %t/toy/int8.npz %t/toy/int8.txt | FileCheck %s
// RUN: %torch_python %S/check_output.py %t/toy/float.npz %t/toy/float.txt | FileCheck %s

// RUN: qtensor-import %t/mlp4d.pt --input-shape 2x3x5x13 -o %t/mlp4d.mlir
// RUN: mkdir -p %t/mlp4d && %torch_python %S/run_imported.py %t/mlp4d.pt %t/mlp4d.mlir %t/mlp4d 2x3x5x13
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false" %t/mlp4d/run.mlir | %mlir_runner > %t/mlp4d/int8.txt
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false quantization=none" %t/mlp4d/run.mlir | %mlir_runner > %t/mlp4d/float.txt
// RUN: %torch_python %S/check_output.py %t/mlp4d/int8.npz %t/mlp4d/int8.txt | FileCheck %s
// RUN: %torch_python %S/check_output.py %t/mlp4d/float.npz %t/mlp4d/float.txt | FileCheck %s

// RUN: qtensor-import %t/functional.pt --input-shape 6x24 -o %t/functional.mlir
// RUN: mkdir -p %t/functional && %torch_python %S/run_imported.py %t/functional.pt %t/functional.mlir %t/functional 6x24
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false" %t/functional/run.mlir | %mlir_runner > %t/functional/int8.txt
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false quantization=none" %t/functional/run.mlir | %mlir_runner > %t/functional/float.txt
// RUN: %torch_python %S/check_output.py %t/functional/int8.npz %t/functional/int8.txt | FileCheck %s
// RUN: %torch_python %S/check_output.py %t/functional/float.npz %t/functional/float.txt | FileCheck %s

// RUN: qtensor-import %t/matmul_t.pt --input-shape 3x7x20 -o %t/matmul_t.mlir
// RUN: mkdir -p %t/matmul_t && %torch_python %S/run_imported.py %t/matmul_t.pt %t/matmul_t.mlir %t/matmul_t 3x7x20
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false" %t/matmul_t/run.mlir | %mlir_runner > %t/matmul_t/int8.txt
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false quantization=none" %t/matmul_t/run.mlir | %mlir_runner > %t/matmul_t/float.txt
// RUN: %torch_python %S/check_output.py %t/matmul_t/int8.npz %t/matmul_t/int8.txt | FileCheck %s
// RUN: %torch_python %S/check_output.py %t/matmul_t/float.npz %t/matmul_t/float.txt | FileCheck %s

// RUN: qtensor-import %t/ops.pt --input-shape 4x8 -o %t/ops.mlir
// RUN: mkdir -p %t/ops && %torch_python %S/run_imported.py %t/ops.pt %t/ops.mlir %t/ops 4x8
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false quantization=none" %t/ops/run.mlir | %mlir_runner > %t/ops/float.txt
// RUN: %torch_python %S/check_output.py %t/ops/float.npz %t/ops/float.txt | FileCheck %s --check-prefix=TWO

// CHECK: result 0 vs oracle: allclose=True
// TWO: result 0 vs oracle: allclose=True
// TWO: result 1 vs oracle: allclose=True
