// REQUIRES: ptxas
// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_80" %s -o %t.sm80.mlir
// RUN: %extract_ptx %t.sm80.mlir --ptxas %ptxas --gpu-name sm_80 | FileCheck %s --check-prefixes=CHECK,SM80
// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_90" %s -o %t.sm90.mlir
// RUN: %extract_ptx %t.sm90.mlir --ptxas %ptxas --gpu-name sm_90 | FileCheck %s --check-prefixes=CHECK,SM90
// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_80 splitk-columns=4" %s -o %t.columns.mlir
// RUN: %extract_ptx %t.columns.mlir --ptxas %ptxas --gpu-name sm_80 | FileCheck %s --check-prefix=COLUMNS
// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_90 format=bin" %s | FileCheck %s --check-prefix=CUBIN
// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_80 format=fatbin" %s | FileCheck %s --check-prefix=FATBIN

// Tests that ptxas assembles every kernel of a ToyModel-sized and a
// 4096 x 4096 layer for sm_80 and sm_90 at the default tile sizes, with no
// spills and no local memory (the tiled kernel keeps tile-m x 16 partial
// sums in registers).
// CHECK-LABEL: // gpu.binary @fc1_weight_splitk
// SM80: Compiling entry function 'fc1_weight_splitk' for 'sm_80'
// SM90: Compiling entry function 'fc1_weight_splitk' for 'sm_90'
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: lmem
// CHECK-LABEL: // gpu.binary @fc1_weight_tiled
// CHECK: Compiling entry function 'fc1_weight_tiled'
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: lmem
// CHECK-LABEL: // gpu.binary @big_weight_splitk
// CHECK: Compiling entry function 'big_weight_splitk'
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: lmem
// CHECK-LABEL: // gpu.binary @big_weight_tiled
// CHECK: Compiling entry function 'big_weight_tiled'
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: lmem
// bf16 activations (widened in registers; tensor cores above small-m):
// CHECK-LABEL: // gpu.binary @half_weight_splitk
// CHECK: Compiling entry function 'half_weight_splitk'
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: lmem
// CHECK-LABEL: // gpu.binary @half_weight_mma_ksplit{{$}}
// CHECK: Compiling entry function 'half_weight_mma_ksplit'
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK: 16384 bytes smem
// CHECK-NOT: lmem
// CHECK-LABEL: // gpu.binary @half_weight_mma{{$}}
// CHECK: Compiling entry function 'half_weight_mma'
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: lmem
// f16 activations:
// CHECK-LABEL: // gpu.binary @f16_weight_splitk
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-LABEL: // gpu.binary @f16_weight_mma
// CHECK: Compiling entry function 'f16_weight_mma'
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: lmem
// Tests that the widest split-K option, 4 columns per warp (64 f32 partial
// sums per lane, 16 weight slices loaded ahead), still fits in registers;
// every kernel has its label so that each check stays in its kernel.
// COLUMNS-LABEL: // gpu.binary @fc1_weight_splitk{{$}}
// COLUMNS: Compiling entry function 'fc1_weight_splitk' for 'sm_80'
// COLUMNS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// COLUMNS-NOT: lmem
// COLUMNS-LABEL: // gpu.binary @fc1_weight_tiled{{$}}
// COLUMNS-LABEL: // gpu.binary @big_weight_splitk{{$}}
// COLUMNS: Compiling entry function 'big_weight_splitk' for 'sm_80'
// COLUMNS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// COLUMNS-NOT: lmem
// COLUMNS-LABEL: // gpu.binary @big_weight_tiled{{$}}
// COLUMNS-LABEL: // gpu.binary @half_weight_splitk{{$}}
// COLUMNS: Compiling entry function 'half_weight_splitk' for 'sm_80'
// COLUMNS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// COLUMNS-NOT: lmem
// COLUMNS-LABEL: // gpu.binary @half_weight_mma_ksplit{{$}}
// COLUMNS-LABEL: // gpu.binary @half_weight_mma{{$}}
// COLUMNS-LABEL: // gpu.binary @f16_weight_splitk{{$}}
// COLUMNS: Compiling entry function 'f16_weight_splitk' for 'sm_80'
// COLUMNS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// COLUMNS-NOT: lmem
// COLUMNS-LABEL: // gpu.binary @f16_weight_mma{{$}}
// Tests that format=bin embeds a cubin (an ELF image) and format=fatbin a
// fatbinary (magic 0xBA55ED50), both assembled by the toolkit's ptxas.
// CUBIN: gpu.binary @fc1_weight_splitk  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}bin = "\7FELF
// FATBIN: gpu.binary @fc1_weight_splitk  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, {{.*}}, "P\EDU\BA
func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %w = arith.constant dense<0.5> : tensor<128x64xf32> loc("fc1.weight")
  %b = arith.constant dense<0.125> : tensor<128xf32> loc("fc1.bias")
  %y = qtensor.linear %x, %w, %b : tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

func.func @big(%x: tensor<?x4096xf32>) -> tensor<?x4096xf32> {
  %w = arith.constant dense<0.5> : tensor<4096x4096xf32> loc("big.weight")
  %y = qtensor.linear %x, %w : tensor<?x4096xf32>, tensor<4096x4096xf32> -> tensor<?x4096xf32>
  return %y : tensor<?x4096xf32>
}

func.func @half(%x: tensor<?x4096xbf16>) -> tensor<?x4096xbf16> {
  %w = arith.constant dense<0.5> : tensor<4096x4096xbf16> loc("half.weight")
  %y = qtensor.linear %x, %w : tensor<?x4096xbf16>, tensor<4096x4096xbf16> -> tensor<?x4096xbf16>
  return %y : tensor<?x4096xbf16>
}

func.func @f16(%x: tensor<?x128xf16>) -> tensor<?x64xf16> {
  %w = arith.constant dense<0.5> : tensor<64x128xf16> loc("f16.weight")
  %y = qtensor.linear %x, %w : tensor<?x128xf16>, tensor<64x128xf16> -> tensor<?x64xf16>
  return %y : tensor<?x64xf16>
}
