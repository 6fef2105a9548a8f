// Tests AOT end to end: qtensor-compile writes an artifact, qtensor-exec runs
// it on the light runtime, and its results are those of the JIT (qtensor-run)
// on the same input, bit for bit; parameters given at run time (another
// checkpoint of the same architecture) give that checkpoint's results. Every
// bad input to qtensor-compile is one error line, exit status 2, and no
// artifact left behind.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_models.py %t toy toy_other mlp4d
// RUN: %torch_python -c "import numpy as np; np.save('%t/x.npy', np.random.RandomState(0).randn(5, 64).astype(np.float32))"

// A dynamic batch, for the default CPU (x86-64-v3).
// RUN: qtensor-compile %t/toy.pt --input-shape ?x64 --target cpu -o %t/toy.qta | FileCheck %s --check-prefix=WROTE
// WROTE: wrote {{.*}}toy.qta (cpu:x86-64-v3)
// RUN: ls %t/toy.qta | FileCheck %s --check-prefix=FILES
// FILES: manifest.json
// FILES-NEXT: model.so
// FILES-NEXT: weights.bin
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/toy.qta/manifest.json
// MANIFEST: "format": "qtensor-artifact"
// MANIFEST: "target": "cpu"
// MANIFEST: "cpu": "x86-64-v3"
// MANIFEST: "cpu_features": [
// MANIFEST-DAG: "avx2"
// MANIFEST-DAG: "fma"
// MANIFEST: "inputs": [
// MANIFEST: "dtype": "f32"
// MANIFEST: "?",
// MANIFEST-NEXT: 64
// MANIFEST: "parameters": [
// MANIFEST: "name": "linear1.weight.data"
// MANIFEST-NEXT: "dtype": "i8"
// The code needs libc, libm and libomp (parallel kernels): no LLVM, MLIR,
// LibTorch or qtensor library.
// RUN: readelf --dynamic --wide %t/toy.qta/model.so | FileCheck %s --check-prefix=DEPS
// DEPS-NOT: (NEEDED){{.*}}lib{{(LLVM|MLIR|torch|c10|QTensor)}}
// DEPS: (NEEDED){{.*}}[libomp.so.5]
// DEPS-NOT: (NEEDED){{.*}}lib{{(LLVM|MLIR|torch|c10|QTensor)}}

// The JIT compiles the .npy's static shape [5, 64]: an artifact for that
// shape gives its results to the bit; the dynamic one tiles a batch of 5
// differently (one-row tiles), so it agrees to rounding.
// RUN: qtensor-run %t/toy.pt --input %t/x.npy --target cpu --output %t/y-jit.npy --compare | FileCheck %s --check-prefix=JIT
// JIT: allclose(compiled, module swap) = True
// RUN: qtensor-exec %t/toy.qta --input %t/x.npy --output %t/y-dynamic.npy | FileCheck %s --check-prefix=EXEC
// EXEC: target: cpu (x86-64-v3)
// EXEC: result 0: f32 [5, 32]
// RUN: %compare_npy %t/y-dynamic.npy %t/y-jit.npy | FileCheck %s --check-prefix=CLOSE
// CLOSE: {{identical|allclose}}
// RUN: qtensor-compile %t/toy.pt --input-shape 5x64 --target cpu -o %t/toy5.qta
// RUN: qtensor-exec %t/toy5.qta --input %t/x.npy --output %t/y-aot.npy
// RUN: %compare_npy %t/y-aot.npy %t/y-jit.npy --exact | FileCheck %s --check-prefix=SAME
// SAME: identical
// A batch of another size runs on the dynamic artifact only.
// RUN: %torch_python -c "import numpy as np; np.save('%t/x3.npy', np.zeros((3, 64), np.float32))"
// RUN: qtensor-exec %t/toy.qta --input %t/x3.npy | FileCheck %s --check-prefix=BATCH3
// BATCH3: result 0: f32 [3, 32]
// RUN: %expect_exit 2 qtensor-exec %t/toy5.qta --input %t/x3.npy 2>&1 | FileCheck %s --check-prefix=STATIC
// STATIC: error: input 0 has shape [3, 64], the model was compiled for [5, 64]

// Parameters at run time: the other checkpoint's .npy files, or its
// artifact's weights.bin, give the other checkpoint's results.
// RUN: qtensor-run %t/toy_other.pt --input %t/x.npy --target cpu --output %t/y-other-jit.npy --dump-params %t/other-params
// RUN: qtensor-exec %t/toy5.qta --input %t/x.npy --params %t/other-params --output %t/y-other.npy
// RUN: %compare_npy %t/y-other.npy %t/y-other-jit.npy --exact | FileCheck %s --check-prefix=SAME
// RUN: not %compare_npy %t/y-other.npy %t/y-aot.npy | FileCheck %s --check-prefix=DIFFERENT
// DIFFERENT: mismatch
// RUN: qtensor-compile %t/toy_other.pt --input-shape 5x64 --target cpu -o %t/other.qta
// RUN: qtensor-exec %t/toy5.qta --input %t/x.npy --params %t/other.qta/weights.bin --output %t/y-other-bin.npy
// RUN: %compare_npy %t/y-other-bin.npy %t/y-other-jit.npy --exact | FileCheck %s --check-prefix=SAME

// No weights in the artifact: they must come at run time.
// RUN: qtensor-compile %t/toy.pt --input-shape 5x64 --target cpu --no-weights -o %t/bare.qta
// RUN: ls %t/bare.qta | FileCheck %s --check-prefix=BARE
// BARE-NOT: weights.bin
// RUN: %expect_exit 2 qtensor-exec %t/bare.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=NO-PARAMS
// NO-PARAMS: error: artifact '{{.*}}bare.qta' holds no weights: give its parameters with --params FILE|DIR
// RUN: qtensor-exec %t/bare.qta --input %t/x.npy --params %t/other-params --output %t/y-bare.npy
// RUN: %compare_npy %t/y-bare.npy %t/y-other-jit.npy --exact | FileCheck %s --check-prefix=SAME

// A static shape, the unfused program, this machine's CPU, timing, the IR
// of every stage.
// RUN: qtensor-compile %t/mlp4d.pt --input-shape 2x3x5x13 --target cpu:native --no-fuse --dump-stages %t/mlp-stages -o %t/mlp.qta
// RUN: ls %t/mlp-stages | FileCheck %s --check-prefix=STAGES
// STAGES: 01-qtensor-quantize-weights.mlir
// RUN: %torch_python -c "import numpy as np; np.save('%t/x4.npy', np.random.RandomState(1).randn(2, 3, 5, 13).astype(np.float32))"
// RUN: qtensor-exec %t/mlp.qta --input %t/x4.npy --output %t/y4-aot.npy --bench 3 | FileCheck %s --check-prefix=BENCH
// BENCH: bench qtensor-exec median_ms={{[0-9.]+}} min_ms={{[0-9.]+}} runs=3 rotate=1
// BENCH: result 0: f32 [2, 3, 5, 5]
// RUN: qtensor-run %t/mlp4d.pt --input %t/x4.npy --target cpu --output %t/y4-jit.npy
// RUN: %compare_npy %t/y4-aot.npy %t/y4-jit.npy | FileCheck %s --check-prefix=CLOSE

// CUDA: the artifact embeds PTX (isa) or cubin + PTX (fatbin); on a machine
// without a GPU qtensor-exec loads the manifest and says so.
// RUN: qtensor-compile %t/toy.pt --input-shape ?x64 --target cuda:sm_90 --gpu-binary isa -o %t/toy-cuda.qta | FileCheck %s --check-prefix=WROTE-CUDA
// WROTE-CUDA: wrote {{.*}}toy-cuda.qta (cuda:sm_90)
// RUN: FileCheck %s --check-prefix=MANIFEST-CUDA < %t/toy-cuda.qta/manifest.json
// MANIFEST-CUDA: "target": "cuda"
// MANIFEST-CUDA: "chip": "sm_90"
// MANIFEST-CUDA: "gpu_binary": "isa"
// RUN: env QTENSOR_CUDA_DRIVER=%t/no-libcuda.so.1 %expect_exit 2 qtensor-exec %t/toy-cuda.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=NO-GPU
// NO-GPU: error: artifact '{{.*}}toy-cuda.qta' targets cuda:sm_90, and this host has no usable GPU: no CUDA driver: {{.*}}no-libcuda.so.1 not found
// On the fake driver the artifact loads its PTX, uploads its parameters and
// launches its kernels (which the fake does not execute).
// --bench times the kernels alone with events around each launch: on the
// fake clock, 0.25 ms per launch, two linears (tiled kernels) per run. Then
// one run per parameter copy is captured into a CUDA graph and replayed 4
// times, an event between replays: 0.25 ms per replay of 2 runs.
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver qtensor-exec %t/toy-cuda.qta --input %t/x.npy --output %t/y-fake.npy --bench 4 --rotate 2 2>&1 | FileCheck %s --check-prefix=FAKE-GPU
// FAKE-GPU: target: cuda sm_90 on GPU 0: Fake H200, sm_90
// FAKE-GPU-NEXT: bench qtensor-exec median_ms={{[0-9.]+}} min_ms={{[0-9.]+}} runs=4 rotate=2
// FAKE-GPU-NEXT: bench qtensor-exec-kernels median_ms=0.5000 min_ms=0.5000 launches_per_run=2
// FAKE-GPU-NEXT: bench qtensor-exec-graph median_ms=0.1250 min_ms=0.1250 replays=4 runs_per_replay=2 kernels_per_replay=4
// FAKE-GPU-NEXT: result 0: f32 [5, 32]
// A driver without CUDA graphs: a warning, and the rest of the run stands.
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver_no_graphs qtensor-exec %t/toy-cuda.qta --input %t/x.npy --output %t/y-fake-old.npy --bench 2 2>&1 | FileCheck %s --check-prefix=NO-GRAPHS
// NO-GRAPHS: bench qtensor-exec-kernels median_ms=0.5000 min_ms=0.5000 launches_per_run=2
// NO-GRAPHS-NEXT: warning: no CUDA-graph timing: launch capture: the CUDA driver has no cuStreamBeginCapture_v2
// NO-GRAPHS-NEXT: result 0: f32 [5, 32]
// RUN: test -f %t/y-fake-old.npy

// Kernel tuning for cuda targets: the manifest records it, and the
// kernels follow it (small-m=8 sends the 5-row batch to split-K, with two
// columns per warp: 128 / 8 and 32 / 8 blocks for the two linears).
// RUN: qtensor-compile %t/toy.pt --input-shape 5x64 --target cuda:sm_90 --gpu-binary isa --gpu-kernel-options "small-m=8 splitk-columns=2" --dump-stages %t/tuned-stages -o %t/tuned.qta
// RUN: FileCheck %s --check-prefix=MANIFEST-TUNED < %t/tuned.qta/manifest.json
// MANIFEST-TUNED: "gpu_kernel_options": "small-m=8 splitk-columns=2"
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver qtensor-exec %t/tuned.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=TUNED-EXEC
// TUNED-EXEC: result 0: f32 [5, 32]
// RUN: cat %t/tuned-stages/*-gpu-kernel-outlining.mlir | FileCheck %s --check-prefix=TUNED
// TUNED: gpu.launch_func @linear1_weight_splitk::@linear1_weight_splitk blocks in (%c16, %c5, %c1) threads in (%c32, %c4, %c1)
// TUNED: gpu.launch_func @linear2_weight_splitk::@linear2_weight_splitk blocks in (%c4, %c5, %c1) threads in (%c32, %c4, %c1)
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cuda:sm_90 --gpu-kernel-options "chip=sm_80" -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=TUNE-KEY
// TUNE-KEY: error: unknown GPU kernel option 'chip' (expected small-m, tile-m, tensor-cores or splitk-columns)
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cuda:sm_90 --gpu-kernel-options "splitk-columns=two" -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=TUNE-VALUE
// TUNE-VALUE: error: bad GPU kernel options 'splitk-columns=two':
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cuda:sm_90 --gpu-kernel-options "splitk-columns=5" -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=TUNE-RANGE
// TUNE-RANGE: error: qtensor-configure-gpu-kernels: splitk-columns must be in [1, 4], got 5
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cpu --gpu-kernel-options "small-m=8" -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=TUNE-CPU
// TUNE-CPU: error: GPU kernel options apply to cuda targets only

// Bad input: one error line, exit status 2, nothing written.
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cpu 2>&1 | FileCheck %s --check-prefix=NO-OUTPUT
// NO-OUTPUT: error: for the -o option: must be specified at least once!
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target tpu -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: unknown --target 'tpu' (expected cpu, cpu:CPU or cuda:CHIP, e.g. cuda:sm_90)
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cpu:pentium9 -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: error: unknown CPU 'pentium9'
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cuda:sm_70 -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: error: unsupported chip 'sm_70'
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cuda:sm_90 --gpu-binary elf -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=BINARY
// BINARY: error: unknown GPU binary 'elf' (expected auto, isa or fatbin)
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x63 --target cpu -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: {{.*}}
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --target cpu -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=NO-SHAPE
// NO-SHAPE: error: give one --input-shape per input of the model's forward
// RUN: %expect_exit 2 qtensor-compile %t/missing.pt --input-shape ?x64 --target cpu -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot open '{{.*}}missing.pt': No such file or directory
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cpu --quantize int4 -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=QUANT
// QUANT: error: --quantize 'int4': quantization scheme 'int4:g128' is not implemented yet (implemented: none, int8)
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cpu --input-dtype f64 -o %t/bad.qta 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: error: unknown --input-dtype 'f64' (expected f32, f16, bf16, i8, i32, i64 or bool)
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cpu -o %t/no-dir/bad.qta 2>&1 | FileCheck %s --check-prefix=PARENT
// PARENT: error: cannot write the artifact '{{.*}}no-dir/bad.qta': directory '{{.*}}no-dir' does not exist
// RUN: not ls %t/no-dir
// RUN: not ls %t/bad.qta
// RUN: ls %t | FileCheck %s --check-prefix=NO-PARTIAL
// NO-PARTIAL-NOT: partial
// A directory that is not an artifact is not replaced.
// RUN: mkdir -p %t/keep && touch %t/keep/notes.txt
// RUN: %expect_exit 2 qtensor-compile %t/toy.pt --input-shape ?x64 --target cpu -o %t/keep 2>&1 | FileCheck %s --check-prefix=KEEP
// KEEP: error: '{{.*}}keep' exists and is not a qtensor artifact: not replacing it
// RUN: ls %t/keep | FileCheck %s --check-prefix=KEPT
// KEPT: notes.txt
// An artifact is replaced whole.
// RUN: qtensor-compile %t/toy_other.pt --input-shape ?x64 --target cpu -o %t/other.qta

// The artifact's CPU picks the register tiles: x86-64-v3 (AVX2, 16 vector
// registers) gets 8 x 8, x86-64-v4 (AVX-512, 32) 16 x 16, whatever the host.
// RUN: qtensor-compile %t/toy.pt --input-shape 64x64 --target cpu -o %t/v3.qta --dump-stages %t/v3-stages
// RUN: FileCheck %s --check-prefix=AVX2-TILES < %t/v3-stages/09-nested.mlir
// RUN: qtensor-compile %t/toy.pt --input-shape 64x64 --target cpu:x86-64-v4 -o %t/v4.qta --dump-stages %t/v4-stages
// RUN: FileCheck %s --check-prefix=AVX512-TILES < %t/v4-stages/09-nested.mlir
// AVX2-TILES: vector.contract {{.*}} into vector<8x8xf32>
// AVX2-TILES-NOT: vector<16x16xf32>
// AVX512-TILES: vector.contract {{.*}} into vector<16x16xf32>
// AVX512-TILES-NOT: vector<8x8xf32>
