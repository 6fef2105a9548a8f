// REQUIRES: ptxas
// Tests that the transformer models compile through the GPU pipeline at its
// default options and that ptxas assembles every kernel (the fused int8
// linears, the row reductions, the tiled matmuls and the generic mapping
// of everything else) for sm_80 and sm_90
// without spills or local memory.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_transformer_models.py %t
// RUN: qtensor-import %t/gpt_traced.pt --input-shape 1x16:i64 -o %t/gpt.mlir
// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_90" %t/gpt.mlir -o %t/gpt.sm90.mlir
// RUN: %extract_ptx %t/gpt.sm90.mlir --ptxas %ptxas --gpu-name sm_90 > %t/gpt.ptxas.txt
// RUN: FileCheck %s --implicit-check-not=lmem < %t/gpt.ptxas.txt
// RUN: FileCheck %s --check-prefix=KERNELS < %t/gpt.ptxas.txt
// RUN: qtensor-import %t/llama_scripted.pt --input-shape 1x16x64 -o %t/llama.mlir
// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_80" %t/llama.mlir -o %t/llama.sm80.mlir
// RUN: %extract_ptx %t/llama.sm80.mlir --ptxas %ptxas --gpu-name sm_80 > %t/llama.ptxas.txt
// RUN: FileCheck %s --implicit-check-not=lmem < %t/llama.ptxas.txt
// RUN: FileCheck %s --check-prefix=LLAMA < %t/llama.ptxas.txt
// RUN: qtensor-import %t/encoder_fast.pt --input-shape 1x16x64 -o %t/encoder.mlir
// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_90" %t/encoder.mlir -o %t/encoder.sm90.mlir
// RUN: %extract_ptx %t/encoder.sm90.mlir --ptxas %ptxas --gpu-name sm_90 | FileCheck %s --implicit-check-not=lmem

// GPT's kernels: every linear (the attention's packed projection, the
// MLP, the lm_head tied to the token embedding) is a fused int8 kernel
// even where bufferization shares one conversion buffer and one zero
// accumulator between linears of a shape; layer norms and softmax run a
// warp per row, attention's matmuls the tiled kernel.
// KERNELS: 'reduce0_rows'
// KERNELS: 'h_0_attn_c_attn_weight_tiled'
// KERNELS: 'matmul0_tiled'
// KERNELS: 'h_0_mlp_c_fc_weight_tiled'
// KERNELS: 'h_0_mlp_c_proj_weight_tiled'
// KERNELS: 'lm_head_weight_tiled'
// Llama's q, k and v projections have one shape: three fused kernels.
// LLAMA-DAG: 'layers_0_wq_weight_tiled'
// LLAMA-DAG: 'layers_0_wk_weight_tiled'
// LLAMA-DAG: 'layers_0_wv_weight_tiled'
// LLAMA-DAG: 'layers_0_wo_weight_tiled'
// LLAMA-DAG: 'matmul0_tiled'
// LLAMA-DAG: 'reduce0_rows'

// Every kernel: its spill line, all zero.
// CHECK: Compiling entry function
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: {{[1-9][0-9]* bytes (stack frame|spill)}}
