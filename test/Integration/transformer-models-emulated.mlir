// Tests the emulated GPU pipeline (its kernels compiled for the CPU, run
// under mlir-runner) on the GPT, Llama and encoder models of
// test/Importer/make_transformer_models.py, quantized and float, against
// eager PyTorch (run_imported.py's oracles: the module swap for int8).

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_transformer_models.py %t

// RUN: qtensor-import %t/gpt_traced.pt --input-shape 1x16:i64 -o %t/gpt.mlir
// RUN: mkdir -p %t/gpt && %torch_python %S/run_imported.py %t/gpt_traced.pt %t/gpt.mlir %t/gpt 1x16:i64
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/gpt/run.mlir | %mlir_runner > %t/gpt/int8.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false quantization=none" %t/gpt/run.mlir | %mlir_runner > %t/gpt/float.txt
// RUN: %torch_python %S/check_output.py %t/gpt/int8.npz %t/gpt/int8.txt | FileCheck %s --check-prefix=EMULATED
// RUN: %torch_python %S/check_output.py %t/gpt/float.npz %t/gpt/float.txt | FileCheck %s --check-prefix=EMULATED
// RUN: qtensor-import %t/llama_traced.pt --input-shape 1x16x64 -o %t/llama.mlir
// RUN: mkdir -p %t/llama && %torch_python %S/run_imported.py %t/llama_traced.pt %t/llama.mlir %t/llama 1x16x64
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/llama/run.mlir | %mlir_runner > %t/llama/int8.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false quantization=none" %t/llama/run.mlir | %mlir_runner > %t/llama/float.txt
// RUN: %torch_python %S/check_output.py %t/llama/int8.npz %t/llama/int8.txt | FileCheck %s --check-prefix=EMULATED
// RUN: %torch_python %S/check_output.py %t/llama/float.npz %t/llama/float.txt | FileCheck %s --check-prefix=EMULATED
// RUN: qtensor-import %t/encoder_fast.pt --input-shape 1x16x64 -o %t/encoder.mlir
// RUN: mkdir -p %t/encoder && %torch_python %S/run_imported.py %t/encoder_fast.pt %t/encoder.mlir %t/encoder 1x16x64
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/encoder/run.mlir | %mlir_runner > %t/encoder/int8.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false quantization=none" %t/encoder/run.mlir | %mlir_runner > %t/encoder/float.txt
// RUN: %torch_python %S/check_output.py %t/encoder/int8.npz %t/encoder/int8.txt | FileCheck %s --check-prefix=EMULATED
// RUN: %torch_python %S/check_output.py %t/encoder/float.npz %t/encoder/float.txt | FileCheck %s --check-prefix=EMULATED
// EMULATED: result 0 vs oracle: allclose=True
