// Tests that the GPU kernels' tiling and reductions are right without a
// GPU: --qtensor-gpu-pipeline="emulate=true" emits the same kernel bodies
// (grid and block ids as scf.parallel induction variables, a warp's lanes
// as a loop whose butterfly adds lane l ^ offset in the shuffles' order),
// compiles them for the CPU, and mlir-runner runs them; results must match
// the oracle (the seed's quantizer and mm formula, run by PyTorch) with
// rtol 1e-4 and atol 1e-5 * max|oracle|. The dynamic batch (1, 6 and 13
// rows) takes the split-K kernel for 1 row and the tiled one for 6 and 13
// with the defaults; small-m=0 forces the tiled kernel (with 3-row thread
// tiles) and small-m=64 the split-K kernel for every batch. The padded case
// has K = 512 (16 slices per lane), mlp4d a 4-D input, bias and relu;
// wide has K = 2056 and 2688, where split-K lanes load groups of 4 slices
// ahead and then the slices left over (9 or 8, 6 or 5 per lane), and the
// shared-memory tiled kernel stages 128-byte tiles (padded: 256-byte);
// fuse=false runs the unfused program through the generic loop mapping.
// bf16 has K = 512 and 48 in bfloat16, plus a 37-row batch: the fused
// kernels widen it and accumulate in f32, then round once, as PyTorch's
// bf16 mm does, so the results meet the same tolerance (accumulating in
// bf16, as the generic mapping does, is off by up to 40% on small outputs).
// Batches above small-m take the tensor-core kernel by default (up to 32
// rows, where K allows, the K-split one: four warps' partial tiles added in
// order), whose
// emulation places every lane's registers where the m16n8k16 fragment
// layout puts them and multiplies the tiles: a wrong fragment position or
// k renaming shows here (swapping two A registers fails result 1).
// tensor-cores=false runs the tiled kernel instead. splitk-columns=3 and 4
// give each split-K warp 3 or 4 output columns (dynamic: N = 40 and 20,
// neither a multiple of 3, so the last warp clamps its reads and skips
// stores; wide and bf16: N = 8 and 24 leave the last block part empty);
// each column's sums keep their order, so the results are the ones of one
// column per warp (max_abs_err=0 at printMemrefF32's 6 significant digits;
// the order argument, not this check, is what makes them bit-identical).

// RUN: rm -rf %t && mkdir -p %t/dynamic %t/padded %t/mlp4d %t/bf16 %t/wide
// RUN: %torch_python %S/make_model_case.py dynamic %t/dynamic
// RUN: %torch_python %S/make_model_case.py padded %t/padded
// RUN: %torch_python %S/make_model_case.py mlp4d %t/mlp4d
// RUN: %torch_python %S/make_model_case.py bf16 %t/bf16
// RUN: %torch_python %S/make_model_case.py wide %t/wide
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/dynamic/model.mlir | %mlir_runner > %t/dynamic/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=0 tile-m=3" %t/dynamic/model.mlir | %mlir_runner > %t/dynamic/tiled.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/dynamic/model.mlir | %mlir_runner > %t/dynamic/splitk.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64 splitk-columns=3" %t/dynamic/model.mlir | %mlir_runner > %t/dynamic/columns.txt
// RUN: %torch_python %S/check_output.py %t/dynamic/expected.npz %t/dynamic/splitk.txt %t/dynamic/columns.txt | FileCheck %s --check-prefix=SAME-DYNAMIC
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false fuse=false" %t/dynamic/model.mlir | %mlir_runner > %t/dynamic/unfused.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/padded/model.mlir | %mlir_runner > %t/padded/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/padded/model.mlir | %mlir_runner > %t/padded/splitk.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/mlp4d/model.mlir | %mlir_runner > %t/mlp4d/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/bf16/model.mlir | %mlir_runner > %t/bf16/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=0 tile-m=3 tensor-cores=false" %t/bf16/model.mlir | %mlir_runner > %t/bf16/tiled.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=0" %t/bf16/model.mlir | %mlir_runner > %t/bf16/mma.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/bf16/model.mlir | %mlir_runner > %t/bf16/splitk.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64 splitk-columns=4" %t/bf16/model.mlir | %mlir_runner > %t/bf16/columns.txt
// RUN: %torch_python %S/check_output.py %t/bf16/expected.npz %t/bf16/splitk.txt %t/bf16/columns.txt | FileCheck %s --check-prefix=SAME-BF16
// RUN: %torch_python %S/check_output.py %t/bf16/expected.npz %t/bf16/default.txt %t/bf16/tiled.txt %t/bf16/mma.txt %t/bf16/splitk.txt %t/bf16/columns.txt | FileCheck %s --check-prefix=BF16
// RUN: %torch_python %S/check_output.py %t/dynamic/expected.npz %t/dynamic/default.txt %t/dynamic/tiled.txt %t/dynamic/splitk.txt %t/dynamic/columns.txt %t/dynamic/unfused.txt | FileCheck %s --check-prefix=DYNAMIC
// RUN: %torch_python %S/check_output.py %t/padded/expected.npz %t/padded/default.txt %t/padded/splitk.txt | FileCheck %s --check-prefix=PADDED
// RUN: %torch_python %S/check_output.py %t/mlp4d/expected.npz %t/mlp4d/default.txt | FileCheck %s --check-prefix=MLP4D
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false" %t/wide/model.mlir | %mlir_runner > %t/wide/default.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64" %t/wide/model.mlir | %mlir_runner > %t/wide/splitk.txt
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false small-m=64 splitk-columns=4" %t/wide/model.mlir | %mlir_runner > %t/wide/columns.txt
// RUN: %torch_python %S/check_output.py %t/wide/expected.npz %t/wide/splitk.txt %t/wide/columns.txt | FileCheck %s --check-prefix=SAME-WIDE
// RUN: %torch_python %S/check_output.py %t/wide/expected.npz %t/wide/default.txt %t/wide/splitk.txt %t/wide/columns.txt | FileCheck %s --check-prefix=WIDE

// DYNAMIC: default.txt result 0 vs oracle: allclose=True
// DYNAMIC: default.txt result 1 vs oracle: allclose=True
// DYNAMIC: default.txt result 2 vs oracle: allclose=True
// DYNAMIC: tiled.txt result 0 vs oracle: allclose=True
// DYNAMIC: tiled.txt result 1 vs oracle: allclose=True
// DYNAMIC: tiled.txt result 2 vs oracle: allclose=True
// DYNAMIC: splitk.txt result 0 vs oracle: allclose=True
// DYNAMIC: splitk.txt result 1 vs oracle: allclose=True
// DYNAMIC: splitk.txt result 2 vs oracle: allclose=True
// DYNAMIC: columns.txt result 0 vs oracle: allclose=True
// DYNAMIC: columns.txt result 1 vs oracle: allclose=True
// DYNAMIC: columns.txt result 2 vs oracle: allclose=True
// DYNAMIC: unfused.txt result 2 vs oracle: allclose=True
// PADDED: default.txt result 0 vs oracle: allclose=True
// PADDED: default.txt result 1 vs oracle: allclose=True
// PADDED: default.txt result 2 vs oracle: allclose=True
// PADDED: splitk.txt result 0 vs oracle: allclose=True
// PADDED: splitk.txt result 1 vs oracle: allclose=True
// PADDED: splitk.txt result 2 vs oracle: allclose=True
// MLP4D: default.txt result 0 vs oracle: allclose=True
// WIDE: default.txt result 0 vs oracle: allclose=True
// WIDE: default.txt result 1 vs oracle: allclose=True
// WIDE: splitk.txt result 0 vs oracle: allclose=True
// WIDE: splitk.txt result 1 vs oracle: allclose=True
// WIDE: columns.txt result 0 vs oracle: allclose=True
// WIDE: columns.txt result 1 vs oracle: allclose=True

// BF16: default.txt result 0 vs oracle: allclose=True
// BF16: default.txt result 1 vs oracle: allclose=True
// BF16: default.txt result 2 vs oracle: allclose=True
// BF16: default.txt result 3 vs oracle: allclose=True
// BF16: tiled.txt result 3 vs oracle: allclose=True
// BF16: mma.txt result 0 vs oracle: allclose=True
// BF16: mma.txt result 3 vs oracle: allclose=True
// BF16: splitk.txt result 3 vs oracle: allclose=True
// BF16: columns.txt result 3 vs oracle: allclose=True

// SAME-DYNAMIC: splitk.txt vs {{.*}}columns.txt result 0: allclose=True max_abs_err=0.000e+00
// SAME-DYNAMIC: splitk.txt vs {{.*}}columns.txt result 1: allclose=True max_abs_err=0.000e+00
// SAME-DYNAMIC: splitk.txt vs {{.*}}columns.txt result 2: allclose=True max_abs_err=0.000e+00
// SAME-WIDE: splitk.txt vs {{.*}}columns.txt result 0: allclose=True max_abs_err=0.000e+00
// SAME-WIDE: splitk.txt vs {{.*}}columns.txt result 1: allclose=True max_abs_err=0.000e+00
// SAME-BF16: splitk.txt vs {{.*}}columns.txt result 0: allclose=True max_abs_err=0.000e+00
// SAME-BF16: splitk.txt vs {{.*}}columns.txt result 1: allclose=True max_abs_err=0.000e+00
// SAME-BF16: splitk.txt vs {{.*}}columns.txt result 2: allclose=True max_abs_err=0.000e+00
// SAME-BF16: splitk.txt vs {{.*}}columns.txt result 3: allclose=True max_abs_err=0.000e+00
