// Tests the GPU kernels of qtensor-map-linalg-to-gpu on operator models
// (OP_MODULES in test/Importer/make_transformer_models.py) through the
// emulated GPU pipeline against eager PyTorch: the warp-per-row reductions
// (sums and means over the last, first and middle dimension, a full sum,
// softmax and log_softmax along dims 0 and -2, layer_norm over two dims,
// with reduced sizes of 3 to 5, fewer than a warp's lanes) and the tiled
// matmul (bmm, one past a 64 x 64 tile in M and N, 4-D matmul, baddbmm with
// alpha and beta). Ops with two reduced loops stay with the generic
// mapping in the same program.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_transformer_models.py %t

// RUN: qtensor-import %t/op_reductions.pt --input-shape 3x4x5 -o %t/reductions.mlir
// RUN: mkdir -p %t/reductions && %torch_python %S/run_imported.py %t/op_reductions.pt %t/reductions.mlir %t/reductions 3x4x5
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false quantization=none" %t/reductions/run.mlir --mlir-print-ir-after=qtensor-map-linalg-to-gpu -o %t/reductions/gpu.mlir 2> %t/reductions/mapped.mlir
// RUN: FileCheck %s --check-prefix=REDUCTIONS < %t/reductions/mapped.mlir
// RUN: %mlir_runner %t/reductions/gpu.mlir > %t/reductions/out.txt
// RUN: %torch_python %S/check_output.py %t/reductions/float.npz %t/reductions/out.txt | FileCheck %s

// RUN: qtensor-import %t/op_bmm.pt --input-shape 3x5x7 --input-shape 3x7x4 -o %t/bmm.mlir
// RUN: mkdir -p %t/bmm && %torch_python %S/run_imported.py %t/op_bmm.pt %t/bmm.mlir %t/bmm 3x5x7 3x7x4
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false quantization=none" %t/bmm/run.mlir --mlir-print-ir-after=qtensor-map-linalg-to-gpu -o %t/bmm/gpu.mlir 2> %t/bmm/mapped.mlir
// RUN: FileCheck %s --check-prefix=MATMUL < %t/bmm/mapped.mlir
// RUN: %mlir_runner %t/bmm/gpu.mlir > %t/bmm/out.txt
// RUN: %torch_python %S/check_output.py %t/bmm/float.npz %t/bmm/out.txt | FileCheck %s

// RUN: qtensor-import %t/op_bmm_large.pt --input-shape 2x70x33 --input-shape 2x33x67 -o %t/bmm_large.mlir
// RUN: mkdir -p %t/bmm_large && %torch_python %S/run_imported.py %t/op_bmm_large.pt %t/bmm_large.mlir %t/bmm_large 2x70x33 2x33x67
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false quantization=none" %t/bmm_large/run.mlir | %mlir_runner > %t/bmm_large/out.txt
// RUN: %torch_python %S/check_output.py %t/bmm_large/float.npz %t/bmm_large/out.txt | FileCheck %s

// RUN: qtensor-import %t/op_matmul_4d_4d.pt --input-shape 2x3x5x7 --input-shape 2x3x7x4 -o %t/matmul4d.mlir
// RUN: mkdir -p %t/matmul4d && %torch_python %S/run_imported.py %t/op_matmul_4d_4d.pt %t/matmul4d.mlir %t/matmul4d 2x3x5x7 2x3x7x4
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false quantization=none" %t/matmul4d/run.mlir | %mlir_runner > %t/matmul4d/out.txt
// RUN: %torch_python %S/check_output.py %t/matmul4d/float.npz %t/matmul4d/out.txt | FileCheck %s

// RUN: qtensor-import %t/op_baddbmm.pt --input-shape 3x5x4 --input-shape 3x5x7 --input-shape 3x7x4 -o %t/baddbmm.mlir
// RUN: mkdir -p %t/baddbmm && %torch_python %S/run_imported.py %t/op_baddbmm.pt %t/baddbmm.mlir %t/baddbmm 3x5x4 3x5x7 3x7x4
// RUN: qtensor-opt --qtensor-gpu-pipeline="emulate=true parameters=false quantization=none" %t/baddbmm/run.mlir | %mlir_runner > %t/baddbmm/out.txt
// RUN: %torch_python %S/check_output.py %t/baddbmm/float.npz %t/baddbmm/out.txt | FileCheck %s

// CHECK-NOT: allclose=False
// CHECK: result 0 vs oracle: allclose=True
// CHECK-NOT: allclose=False

// Every one-loop reduction became a warp-per-row kernel; the mean over
// dims (0, 2) and the full sum have two reduced loops and stay generic.
// REDUCTIONS-NOT: iterator_types = ["parallel", "parallel", "reduction"]
// REDUCTIONS-DAG: iterator_types = ["reduction", "parallel", "reduction"]
// REDUCTIONS-DAG: iterator_types = ["reduction", "reduction", "reduction"]
// REDUCTIONS-DAG: vector<32xf32>
// REDUCTIONS-NOT: iterator_types = ["parallel", "parallel", "reduction"]
// MATMUL-NOT: linalg.batch_matmul
// MATMUL-COUNT-16: math.fma
// MATMUL-NOT: linalg.batch_matmul
