// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_90 format=isa" %s -o %t.mlir
// RUN: FileCheck %s --check-prefix=HOST < %t.mlir
// RUN: %extract_ptx %t.mlir | FileCheck %s
// RUN: qtensor-opt --qtensor-gpu-pipeline="chip=sm_80" %s | %extract_ptx /dev/stdin | FileCheck %s --check-prefix=SM80

// Tests that each fused linear of a dynamic batch becomes two kernels, the
// split-K one and the tiled one, picked at launch time by the batch size;
// that the weights stay arguments of @forward (device pointers the runtime
// uploads once), and that the host code calls the mgpu* runtime.
// HOST: module attributes {gpu.container_module, qtensor.parameters = [{{.*}}name = "fc1.weight.data"
// HOST: llvm.func @forward(
// HOST: llvm.call @mgpuMemAlloc(
// HOST: llvm.icmp "ule" %{{.*}}, %{{.*}} : i64
// HOST: gpu.launch_func  @fc1_weight_splitk::@fc1_weight_splitk blocks in
// HOST: gpu.launch_func  @fc1_weight_tiled::@fc1_weight_tiled blocks in
// HOST: gpu.launch_func  @fc2_weight_splitk::@fc2_weight_splitk blocks in
// HOST: gpu.launch_func  @fc2_weight_tiled::@fc2_weight_tiled blocks in
// HOST-NOT: llvm.mlir.global {{.*}}weight
// HOST: gpu.binary @fc1_weight_splitk
// HOST-SAME: #nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">

// The split-K kernel: 128-bit weight loads (K = 64, 16 int8 per lane),
// each byte widened to f32 by one prmt (a byte of the xor-ed word, bytes 4-7,
// into the low byte of 1258291200 = 0x4B000000 = 2^23)
// and a subtraction, no int-to-float cvt; the butterfly of five xor
// shuffles, one store by lane 0.
// CHECK-LABEL: // gpu.binary @fc1_weight_splitk
// CHECK: .target sm_90
// CHECK: .visible .entry fc1_weight_splitk(
// CHECK: ld.global.v4.b32
// CHECK-NOT: cvt.rn.f32
// CHECK: xor.b32 {{.*}}, -2139062144;
// CHECK-NOT: cvt.rn.f32
// CHECK-COUNT-16: prmt.b32 {{.*}}, 1258291200, {{.*}}, 0x300{{[4-7]}}U;
// CHECK-NOT: cvt.rn.f32
// CHECK-COUNT-5: shfl.sync.bfly.b32
// CHECK: st.global.b32
// CHECK-NOT: .local

// The tiled kernel: the weight staged in a 16-byte aligned shared tile
// (32 rows of 80 bytes), f32 accumulation, no shuffles.
// CHECK-LABEL: // gpu.binary @fc1_weight_tiled
// CHECK: .visible .entry fc1_weight_tiled(
// CHECK: .shared .align 16 .b8 __wg_fc1_weight_tiled_0[2560];
// CHECK: ld.global.v4.b32
// CHECK: st.shared.v4.b32
// CHECK: bar.sync 0;
// CHECK: ld.shared.v4.b32
// CHECK-NOT: cvt.rn.f32
// CHECK: prmt.b32
// CHECK-NOT: cvt.rn.f32
// CHECK: fma.rn.f32
// CHECK-NOT: shfl.sync
// CHECK: st.global.b32
// CHECK-NOT: .local

// K = 24 is no multiple of 16: 8-byte weight loads (two b32 lanes).
// CHECK-LABEL: // gpu.binary @fc2_weight_splitk
// CHECK: .visible .entry fc2_weight_splitk(
// CHECK: ld.global.v2.b32
// CHECK-LABEL: // gpu.binary @fc2_weight_tiled
// CHECK: .visible .entry fc2_weight_tiled(
// CHECK: ld.global.v2.b32

// A static batch of 2 rows gets the split-K kernel only.
// CHECK-LABEL: // gpu.binary @fc3_weight_splitk
// CHECK: .visible .entry fc3_weight_splitk(
// CHECK-NOT: // gpu.binary @fc3_weight_tiled

// With K = 4096 each split-K lane has 8 slices, 512 bytes apart: it loads
// 4 of them before using the first, twice. (The batch is dynamic: the
// tiled kernel follows.)
// CHECK-LABEL: // gpu.binary @wide_weight_splitk
// CHECK: .visible .entry wide_weight_splitk(
// CHECK: ld.global.v4.b32 {{.*}}, {{\[}}[[ROW:%rd[0-9]+]]{{\]}};
// CHECK-NEXT: ld.global.v4.b32 {{.*}}, {{\[}}[[ROW]]+512{{\]}};
// CHECK-NEXT: ld.global.v4.b32 {{.*}}, {{\[}}[[ROW]]+1024{{\]}};
// CHECK-NEXT: ld.global.v4.b32 {{.*}}, {{\[}}[[ROW]]+1536{{\]}};
// CHECK: fma.rn.f32
// CHECK-NOT: .local
// Its tiled kernel stages 256 bytes of each weight row per step (rows
// padded to 272): each thread loads its 4 slices, then stores them.
// CHECK-LABEL: // gpu.binary @wide_weight_tiled
// CHECK: .shared .align 16 .b8 __wg_wide_weight_tiled_0[8704];
// CHECK: ld.global.v4.b32 {{.*}}, {{\[}}[[SLICE:%rd[0-9]+]]{{\]}};
// CHECK-NEXT: ld.global.v4.b32 {{.*}}, {{\[}}[[SLICE]]+64{{\]}};
// CHECK-NEXT: ld.global.v4.b32 {{.*}}, {{\[}}[[SLICE]]+128{{\]}};
// CHECK-NEXT: ld.global.v4.b32 {{.*}}, {{\[}}[[SLICE]]+192{{\]}};
// CHECK-NEXT: st.shared.v4.b32 {{\[}}[[TILE:%rd[0-9]+]]{{\]}}
// CHECK-NEXT: st.shared.v4.b32 {{\[}}[[TILE]]+64{{\]}}
// CHECK-NEXT: st.shared.v4.b32 {{\[}}[[TILE]]+128{{\]}}
// CHECK-NEXT: st.shared.v4.b32 {{\[}}[[TILE]]+192{{\]}}
// CHECK-NEXT: bar.sync 0;
// CHECK-NOT: .local

// SM80: .target sm_80
// SM80: .visible .entry fc1_weight_splitk(
// The tensor-core kernels of bf16 and f16 batches above small-m: per k
// step each lane loads 16 weight bytes (one ld.global.v4) per column tile
// and 32 bytes (two) per activation row, and issues 32 m16n8k16 mma.sync
// with f32 accumulators. The weights are widened without int-to-float
// cvt: bf16 through f32 (prmt into 2^23, a subtraction), f16 by a prmt
// under the byte 0x64 and one add.rn.f16x2 per two weights.
// CHECK-LABEL: // gpu.binary @bf_weight_mma
// CHECK: .visible .entry bf_weight_mma(
// CHECK: ld.global.v4.b32
// CHECK-NOT: cvt.rn.bf16.s
// CHECK: prmt.b32 {{.*}}, 1258291200, {{.*}}, 0x300{{[4-7]}}U;
// CHECK-NOT: cvt.rn.bf16.s
// CHECK-COUNT-32: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-NOT: mma.sync
// CHECK: st.global.b16
// CHECK-NOT: .local
// CHECK-LABEL: // gpu.binary @hf_weight_mma
// CHECK: .visible .entry hf_weight_mma(
// CHECK-NOT: cvt.rn.f16.s
// CHECK: add.rn.f16x2
// CHECK-NOT: cvt.rn.f16.s
// CHECK-COUNT-32: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// CHECK-NOT: .local
// A bf16 layer with K = 512 also gets the K-split tensor-core kernel for
// batches of up to 32 rows: 16 KiB of shared memory for the four warps'
// partial tiles, one barrier, then warp 0's stores.
// CHECK-LABEL: // gpu.binary @bfk_weight_mma_ksplit
// CHECK: .visible .entry bfk_weight_mma_ksplit(
// CHECK: .shared .align 16 .b8 __wg_bfk_weight_mma_ksplit_0[16384];
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK: st.shared.b32
// CHECK: bar.sync 0;
// CHECK: ld.shared.b32
// CHECK: st.global.b16
// CHECK-NOT: .local
// CHECK-LABEL: // gpu.binary @bfk_weight_mma{{$}}
// SM80: .visible .entry bf_weight_mma(
// SM80: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x8xf32> {
  %w1 = arith.constant dense<0.5> : tensor<24x64xf32> loc("fc1.weight")
  %h = qtensor.linear %x, %w1 : tensor<?x64xf32>, tensor<24x64xf32> -> tensor<?x24xf32>
  %w2 = arith.constant dense<0.25> : tensor<8x24xf32> loc("fc2.weight")
  %y = qtensor.linear %h, %w2 : tensor<?x24xf32>, tensor<8x24xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

func.func @static_batch(%x: tensor<2x64xf32>) -> tensor<2x16xf32> {
  %w = arith.constant dense<0.5> : tensor<16x64xf32> loc("fc3.weight")
  %y = qtensor.linear %x, %w : tensor<2x64xf32>, tensor<16x64xf32> -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

func.func @wide(%x: tensor<?x4096xf32>) -> tensor<?x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4096xf32> loc("wide.weight")
  %y = qtensor.linear %x, %w : tensor<?x4096xf32>, tensor<8x4096xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

func.func @bf16(%x: tensor<?x128xbf16>) -> tensor<?x64xbf16> {
  %w = arith.constant dense<0.5> : tensor<64x128xbf16> loc("bf.weight")
  %y = qtensor.linear %x, %w : tensor<?x128xbf16>, tensor<64x128xbf16> -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

func.func @f16(%x: tensor<?x128xf16>) -> tensor<?x64xf16> {
  %w = arith.constant dense<0.5> : tensor<64x128xf16> loc("hf.weight")
  %y = qtensor.linear %x, %w : tensor<?x128xf16>, tensor<64x128xf16> -> tensor<?x64xf16>
  return %y : tensor<?x64xf16>
}

func.func @bf16_ksplit(%x: tensor<?x512xbf16>) -> tensor<?x64xbf16> {
  %w = arith.constant dense<0.5> : tensor<64x512xbf16> loc("bfk.weight")
  %y = qtensor.linear %x, %w : tensor<?x512xbf16>, tensor<64x512xbf16> -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}
