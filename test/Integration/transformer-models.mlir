// Tests that transformer models built from torch.nn and the standard GPT and
// Llama code (test/Importer/make_transformer_models.py), traced and
// scripted, import, compile and match eager PyTorch on the same inputs:
// with --quantize none against the float model, with --quantize int8
// against the module swap (every linear weight, including the fused
// encoder and attention ops' projections and GPT's lm_head tied to the
// token embedding, replaced by the seed's data times scale; the embedding
// table itself stays float), with rtol 1e-4 and atol 1e-5 * max|reference|.
// The CPU runs go through qtensor-run's JIT; the emulated GPU pipeline
// (its kernels compiled for the CPU) runs under mlir-runner.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_transformer_models.py %t

// RUN: qtensor-run %t/gpt_traced.pt --input-shape 1x16:i64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/gpt_traced.pt --input-shape 1x16:i64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/gpt_scripted.pt --input-shape 1x16:i64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/gpt_scripted.pt --input-shape 1x16:i64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/llama_traced.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/llama_traced.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/llama_scripted.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/llama_scripted.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_fast.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_fast.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_slow.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_slow.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_prenorm.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_prenorm.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_scripted.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_scripted.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_prenorm_scripted.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_prenorm_scripted.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/mha.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/mha.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/mha_weights.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/mha_weights.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// FLOAT: allclose(compiled, float model) = True
// INT8: allclose(compiled, module swap) = True

// The emulated GPU pipeline, quantized and float.
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
