// Tests qtensor-run end to end on TorchScript models: the seed's two checks
// (compiled vs module swap, fused vs unfused), float models, .npy in and out,
// parameters dumped byte-identical to the seed's quantizer, the timing lines,
// and one error line with exit status 2 for each kind of bad input.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_models.py %t toy mlp4d functional matmul_t sequential shared bad

// The ToyModel, int8: both checks, then the float reference.
// RUN: qtensor-run %t/toy.pt --input-shape 64x64x64 --quantize int8 --compare --bench 3 --timing | FileCheck %s --check-prefix=TOY
// TOY: target: {{.*}} (target auto chose {{.*}})
// TOY: timing import
// TOY: timing qtensor-quantize-weights
// TOY: timing llvm-jit
// TOY: allclose(compiled, module swap) = True
// TOY: vs float model: max_abs_err={{.*}} SQNR={{[0-9.]+}} dB
// TOY: allclose(fused, unfused) = True
// TOY: bench qtensor median_ms={{[0-9.]+}} min_ms={{[0-9.]+}}
// TOY: bench libtorch_float median_ms={{[0-9.]+}} min_ms={{[0-9.]+}}
// TOY: bench libtorch_module_swap median_ms={{[0-9.]+}} min_ms={{[0-9.]+}}

// Three more models, quantized and not.
// RUN: qtensor-run %t/mlp4d.pt --input-shape 2x3x5x13 --compare --target cpu | FileCheck %s --check-prefix=INT8
// RUN: qtensor-run %t/functional.pt --input-shape 9x24 --compare --target cpu | FileCheck %s --check-prefix=INT8
// RUN: qtensor-run %t/matmul_t.pt --input-shape 3x7x20 --compare --target cpu | FileCheck %s --check-prefix=INT8
// nn.Sequential, and a weight used by two linears and by a sum: only the
// linear uses read the quantized weight, in qtensor and in the reference.
// RUN: qtensor-run %t/sequential.pt --input-shape 5x16 --compare --target cpu | FileCheck %s --check-prefix=INT8
// RUN: qtensor-run %t/shared.pt --input-shape 2x8 --compare --target cpu | FileCheck %s --check-prefix=INT8
// INT8: allclose(compiled, module swap) = True
// INT8: allclose(fused, unfused) = True
// RUN: qtensor-run %t/mlp4d.pt --input-shape 2x3x5x13 --quantize none --compare | FileCheck %s --check-prefix=FLOAT
// FLOAT: allclose(compiled, float model) = True
// FLOAT-NOT: fused

// .npy in and out: a dynamic batch compiled from the file's shape.
// RUN: %torch_python -c "import numpy as np; np.save('%t/x.npy', np.random.RandomState(0).randn(5, 24).astype(np.float32))"
// RUN: qtensor-run %t/functional.pt --input %t/x.npy --output %t/y.npy --compare | FileCheck %s --check-prefix=INT8
// RUN: %torch_python -c "import numpy as np; y = np.load('%t/y.npy'); assert y.shape == (5, 16) and y.dtype == np.float32, y.shape; print('output ok')" | FileCheck %s --check-prefix=NPY
// NPY: output ok

// --dump-params: the int8 data and scales are the seed's, byte for byte.
// RUN: qtensor-run %t/mlp4d.pt --input-shape 1x1x1x13 --dump-params %t/params
// RUN: %torch_python %qtensor_src/test/reference/check_params.py %t/mlp4d.pt %t/params | FileCheck %s --check-prefix=PARAMS
// PARAMS-DAG: fc1.bias: float32 [27] equal=True
// PARAMS-DAG: fc1.weight.data: int8 [27, 13] equal=True
// PARAMS-DAG: fc1.weight.scale: float32 [27, 1] equal=True
// PARAMS-DAG: fc2.weight.data: int8 [5, 27] equal=True
// PARAMS-DAG: fc2.weight.scale: float32 [5, 1] equal=True

// --dump-stages writes the IR after every stage.
// RUN: qtensor-run %t/toy.pt --input-shape 2x64 --dump-stages %t/stages
// RUN: ls %t/stages | FileCheck %s --check-prefix=STAGES
// STAGES: 01-qtensor-quantize-weights.mlir
// STAGES: 02-qtensor-decompose-linear.mlir
// STAGES: 03-qtensor-fuse-mixed-matmul.mlir

// Bad input.
// RUN: %expect_exit 2 qtensor-run %t/missing.pt --input-shape 4x64 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot open '{{.*}}missing.pt': No such file or directory
// RUN: %expect_exit 2 qtensor-run %t/truncated.pt --input-shape 4x64 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// TRUNCATED: error: cannot load '{{.*}}truncated.pt' as TorchScript
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4x63 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: input shape [4, 63] does not fit the model
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4xz 2>&1 | FileCheck %s --check-prefix=SHAPE-SYNTAX
// SHAPE-SYNTAX: error: invalid --input-shape '4xz'
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input-shape 99999999999x64 2>&1 | FileCheck %s --check-prefix=SHAPE-DIM
// SHAPE-DIM: error: invalid --input-shape '99999999999x64': dimension 99999999999 is too large
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4000000x4000000 2>&1 | FileCheck %s --check-prefix=SHAPE-MEMORY
// SHAPE-MEMORY: error: --input-shape '4000000x4000000' needs more than 64 GiB
// An empty batch is a valid input: a [0, 32] result.
// RUN: qtensor-run %t/toy.pt --input-shape 0x64 --compare | FileCheck %s --check-prefix=EMPTY
// EMPTY: allclose(compiled, module swap) = True
// RUN: %expect_exit 2 qtensor-run %t/toy.pt 2>&1 | FileCheck %s --check-prefix=NO-INPUT
// NO-INPUT: error: give the inputs either as --input-shape or as --input files
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4x64 --quantize int4 2>&1 | FileCheck %s --check-prefix=QUANT
// QUANT: error: --quantize 'int4': quantization scheme 'int4:g128' is not implemented yet (implemented: none, int8)
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4x64 --quantize int3 2>&1 | FileCheck %s --check-prefix=QUANT-UNKNOWN
// QUANT-UNKNOWN: error: unknown --quantize 'int3' (expected none, int8, int4, int4:g32, int4:g64, int4:g128, int4:g256 or w8a8)
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4x64 --target tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: unknown --target 'tpu' (expected auto, cpu or cuda)
// Without a GPU (here: no driver where QTENSOR_CUDA_DRIVER points), target
// auto falls back to the CPU and says why; target cuda is an error.
// RUN: env QTENSOR_CUDA_DRIVER=%t/no-libcuda.so.1 qtensor-run %t/toy.pt --input-shape 4x64 --compare | FileCheck %s --check-prefix=FALLBACK
// FALLBACK: target: cpu ({{.*}}) (target auto chose cpu: no CUDA driver: {{.*}}no-libcuda.so.1 not found)
// FALLBACK: allclose(compiled, module swap) = True
// RUN: env QTENSOR_CUDA_DRIVER=%t/no-libcuda.so.1 %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4x64 --target cuda 2>&1 | FileCheck %s --check-prefix=CUDA
// CUDA: error: target cuda: no CUDA driver: {{.*}}no-libcuda.so.1 not found
// On the fake driver (a GPU that runs no kernels) target auto picks the GPU:
// the model compiles for sm_90, loads its PTX and runs its launches.
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver qtensor-run %t/toy.pt --input-shape 4x64 | FileCheck %s --check-prefix=FAKE-GPU
// FAKE-GPU: target: cuda sm_90 (Fake H200) (target auto chose cuda: GPU 0: Fake H200, sm_90
// --gpu-kernel-options: part of the compile cache's key (another option
// text is a miss, then a hit), checked (keys and ranges) before the target
// is chosen, so a bad one is an error even where auto falls back to the
// CPU; refused with --target cpu.
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver qtensor-run %t/toy.pt --input-shape 8x64 --cache-dir %t/gpu-cache --timing | FileCheck %s --check-prefix=COLD
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver qtensor-run %t/toy.pt --input-shape 8x64 --gpu-kernel-options "small-m=8 splitk-columns=2" --cache-dir %t/gpu-cache --timing | FileCheck %s --check-prefix=COLD
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver qtensor-run %t/toy.pt --input-shape 8x64 --gpu-kernel-options "small-m=8 splitk-columns=2" --cache-dir %t/gpu-cache --timing | FileCheck %s --check-prefix=WARM
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver qtensor-run %t/toy.pt --input-shape 8x64 --gpu-kernel-options "small-m=8 splitk-columns=2" --dump-stages %t/tuned-stages > /dev/null
// RUN: cat %t/tuned-stages/*-gpu-kernel-outlining.mlir | FileCheck %s --check-prefix=TUNED
// TUNED: gpu.launch_func @linear1_weight_splitk::@linear1_weight_splitk blocks in (%c16, %c8, %c1)
// RUN: env QTENSOR_CUDA_DRIVER=%t/no-libcuda.so.1 %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4x64 --gpu-kernel-options "tile-n=2" 2>&1 | FileCheck %s --check-prefix=TUNE-KEY
// TUNE-KEY: error: unknown GPU kernel option 'tile-n' (expected small-m, tile-m, tensor-cores or splitk-columns)
// RUN: env QTENSOR_CUDA_DRIVER=%t/no-libcuda.so.1 %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4x64 --gpu-kernel-options "splitk-columns=5" 2>&1 | FileCheck %s --check-prefix=TUNE-RANGE
// TUNE-RANGE: error: qtensor-map-kernels-to-gpu: splitk-columns must be in [1, 4], got 5
// TUNE-RANGE-NOT: target:
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4x64 --target cpu --gpu-kernel-options "small-m=8" 2>&1 | FileCheck %s --check-prefix=TUNE-CPU
// TUNE-CPU: error: GPU kernel options apply to cuda targets only
// RUN: printf 'not numpy' > %t/bad.npy
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input %t/bad.npy 2>&1 | FileCheck %s --check-prefix=BAD-NPY
// BAD-NPY: error: '{{.*}}bad.npy': not a .npy file
// RUN: %torch_python -c "import numpy as np; np.save('%t/f64.npy', np.zeros((2, 64)))"
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input %t/f64.npy 2>&1 | FileCheck %s --check-prefix=F64-NPY
// F64-NPY: error: '{{.*}}f64.npy': unsupported .npy dtype '<f8' (expected float32 '<f4', float16 '<f2', bfloat16 bits '<u2', int8 '|i1', int32 '<i4', int64 '<i8' or bool '|b1')
// A .npy file cut short, an empty one, and one whose shape overflows.
// RUN: %torch_python -c "import numpy as np; np.save('%t/full.npy', np.zeros((2, 64), np.float32))"
// RUN: head -c 300 %t/full.npy > %t/short.npy
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input %t/short.npy 2>&1 | FileCheck %s --check-prefix=SHORT-NPY
// SHORT-NPY: error: '{{.*}}short.npy': the .npy data has 172 bytes, its shape needs 512
// RUN: touch %t/empty.npy
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input %t/empty.npy 2>&1 | FileCheck %s --check-prefix=EMPTY-NPY
// EMPTY-NPY: error: '{{.*}}empty.npy': not a .npy file
// RUN: %torch_python -c "h = \"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 64), }\"; h += ' ' * (118 - len(h)) + '\n'; open('%t/huge.npy', 'wb').write(b'\x93NUMPY\x01\x00' + len(h).to_bytes(2, 'little') + h.encode())"
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input %t/huge.npy 2>&1 | FileCheck %s --check-prefix=HUGE-NPY
// HUGE-NPY: error: '{{.*}}huge.npy': the .npy shape has too many elements
// RUN: %expect_exit 2 qtensor-run %t/toy.pt --input-shape 4x64 --output %t/no/dir/y.npy 2>&1 | FileCheck %s --check-prefix=OUT
// OUT: error: cannot write '{{.*}}y.npy': directory '{{.*}}dir' does not exist
// RUN: qtensor-import %t/toy.pt --input-shape 4x64 -o %t/toy.mlir
// RUN: %expect_exit 2 qtensor-run %t/toy.mlir --input-shape 4x64 --compare 2>&1 | FileCheck %s --check-prefix=COMPARE-MLIR
// COMPARE-MLIR: error: --compare needs a TorchScript model (.pt)
// An .mlir model runs without LibTorch, and computes what the .pt model does
// (both take the same generated input).
// RUN: qtensor-run %t/toy.mlir --input-shape 4x64 --output %t/mlir-y.npy
// RUN: qtensor-run %t/toy.pt --input-shape 4x64 --output %t/pt-y.npy
// RUN: %compare_npy %t/mlir-y.npy %t/pt-y.npy --exact | FileCheck %s --check-prefix=MLIR-SAME
// MLIR-SAME: identical
// Named dynamic sizes need the importer, which checks where they meet.
// RUN: %expect_exit 2 qtensor-run %t/toy.mlir --input-shape Bx64 2>&1 | FileCheck %s --check-prefix=MLIR-NAMES
// MLIR-NAMES: error: '{{.*}}toy.mlir': dynamic sizes of an .mlir model are '?', not named ('B'): only the TorchScript importer can check where named sizes meet

// --cache-dir: the second run loads the compiled model.
// RUN: qtensor-run %t/toy.pt --input-shape 2x64 --cache-dir %t/cache --timing | FileCheck %s --check-prefix=COLD
// RUN: qtensor-run %t/toy.pt --input-shape 2x64 --cache-dir %t/cache --timing | FileCheck %s --check-prefix=WARM
// COLD: timing import
// WARM-NOT: timing import
// WARM: timing cache-load
// WARM: timing llvm-jit
