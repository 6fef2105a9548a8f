// Tests qtensor-exec's handling of bad input: every broken artifact, bad
// parameters, bad inputs and bad options give one error line and exit
// status 2, and write no output file.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_models.py %t toy mlp4d
// RUN: qtensor-compile %t/toy.pt --input-shape ?x64 --target cpu -o %t/toy.qta
// RUN: %torch_python -c "import numpy as np; np.save('%t/x.npy', np.ones((2, 64), np.float32)); np.save('%t/x8.npy', np.ones((2, 64), np.int8)); np.save('%t/x63.npy', np.ones((2, 63), np.float32))"
// RUN: qtensor-run %t/toy.pt --input-shape 1x64 --dump-params %t/params
// RUN: qtensor-run %t/mlp4d.pt --input-shape 1x1x1x13 --dump-params %t/mlp-params
// RUN: qtensor-exec %t/toy.qta --input %t/x.npy | FileCheck %s --check-prefix=OK
// OK: result 0: f32 [2, 32]

// The artifact.
// RUN: %expect_exit 2 qtensor-exec %t/missing.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: '{{.*}}missing.qta' is not a qtensor artifact: not a directory
// RUN: mkdir -p %t/empty.qta
// RUN: %expect_exit 2 qtensor-exec %t/empty.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: '{{.*}}empty.qta' is not a qtensor artifact: cannot open '{{.*}}manifest.json': No such file or directory
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/json.qta json
// RUN: %expect_exit 2 qtensor-exec %t/json.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=JSON
// JSON: error: malformed artifact manifest '{{.*}}manifest.json': {{.*}} at offset {{[0-9]+}}
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/format.qta format
// RUN: %expect_exit 2 qtensor-exec %t/format.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: error: malformed artifact manifest '{{.*}}': format is 'onnx', not 'qtensor-artifact'
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/version.qta version
// RUN: %expect_exit 2 qtensor-exec %t/version.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=VERSION
// VERSION: error: artifact '{{.*}}version.qta' has format version 99; this runtime reads 4: recompile it with this qtensor-compile
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/field.qta field
// RUN: %expect_exit 2 qtensor-exec %t/field.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=FIELD
// FIELD: error: malformed artifact manifest '{{.*}}': 'inputs' is not an array
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/offset.qta offset
// RUN: %expect_exit 2 qtensor-exec %t/offset.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=OFFSET
// OFFSET: error: malformed artifact manifest '{{.*}}': parameter '{{.*}}' has an invalid offset or size
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/feature.qta feature
// RUN: %expect_exit 2 qtensor-exec %t/feature.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=FEATURE
// FEATURE: error: artifact '{{.*}}feature.qta' was compiled for CPU 'x86-64-v3' and needs CPU features this host lacks: qtensor-test-feature; compile it with --target cpu:x86-64-v3 (or a CPU this host has) to run it here
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/library.qta library
// RUN: %expect_exit 2 qtensor-exec %t/library.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=LIBRARY
// LIBRARY: error: cannot load '{{.*}}library.qta/model.so': {{.*}}No such file or directory
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/entry.qta entry
// RUN: %expect_exit 2 qtensor-exec %t/entry.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: error: '{{.*}}entry.qta/model.so' has no entry point 'no_such_entry'
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/weights.qta weights
// RUN: %expect_exit 2 qtensor-exec %t/weights.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=WEIGHTS
// WEIGHTS: error: '{{.*}}weights.bin' has {{[0-9]+}} bytes; the artifact's parameters take {{[0-9]+}}

// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/toy.qta %t/weights-bytes.qta weights_bytes
// RUN: %expect_exit 2 qtensor-exec %t/weights-bytes.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=WEIGHTS-BYTES
// WEIGHTS-BYTES: error: malformed artifact manifest '{{.*}}': 'weights_bytes' is {{[0-9]+}}, less than its parameters take

// Parameters.
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --params %t/no-params 2>&1 | FileCheck %s --check-prefix=PARAMS-MISSING
// PARAMS-MISSING: error: cannot open '{{.*}}no-params': No such file or directory
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --params %t/x.npy 2>&1 | FileCheck %s --check-prefix=PARAMS-SIZE
// PARAMS-SIZE: error: '{{.*}}x.npy' has {{[0-9]+}} bytes; the artifact's parameters take {{[0-9]+}}
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --params %t/mlp-params 2>&1 | FileCheck %s --check-prefix=PARAMS-NAME
// PARAMS-NAME: error: parameter 'linear1.weight.data': cannot open '{{.*}}mlp-params/linear1.weight.data.npy': No such file or directory
// RUN: cp -r %t/params %t/params-shape && cp %t/x.npy %t/params-shape/linear1.weight.data.npy
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --params %t/params-shape 2>&1 | FileCheck %s --check-prefix=PARAMS-SHAPE
// PARAMS-SHAPE: error: '{{.*}}linear1.weight.data.npy' holds <f4 [2, 64]; parameter 'linear1.weight.data' is i8 [128, 64]

// Inputs and options.
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x63.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: input 0 has shape [2, 63], the model was compiled for [?, 64]
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x8.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: error: input 0 has dtype i8, the model expects f32
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: error: the model takes 1 inputs, got 0
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/missing.npy 2>&1 | FileCheck %s --check-prefix=INPUT-MISSING
// INPUT-MISSING: error: cannot open '{{.*}}missing.npy': No such file or directory
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/toy.pt 2>&1 | FileCheck %s --check-prefix=NOT-NPY
// NOT-NPY: error: '{{.*}}toy.pt': not a .npy file (no \x93NUMPY magic)
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --output %t/y.txt 2>&1 | FileCheck %s --check-prefix=OUT-NAME
// OUT-NAME: error: --output '{{.*}}y.txt' must name a .npy file
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --output %t/y.npy --output %t/z.npy 2>&1 | FileCheck %s --check-prefix=OUT-COUNT
// OUT-COUNT: error: 2 --output files for 1 results
// RUN: not ls %t/y.npy
// RUN: not ls %t/z.npy
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --output %t/no-dir/y.npy 2>&1 | FileCheck %s --check-prefix=OUT-DIR
// OUT-DIR: error: cannot write '{{.*}}no-dir/y.npy': No such file or directory
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --bench 0 2>&1 | FileCheck %s --check-prefix=BENCH
// BENCH: error: --bench '0' is not a count from 1 to 1000000
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --bench 2 --rotate 65 2>&1 | FileCheck %s --check-prefix=ROTATE
// ROTATE: error: --rotate '65' is not a count from 1 to 64
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input %t/x.npy --rotate 2 2>&1 | FileCheck %s --check-prefix=ROTATE-ALONE
// ROTATE-ALONE: error: --rotate needs --bench
// RUN: qtensor-exec %t/toy.qta --input %t/x.npy --bench 2 --rotate 2 | FileCheck %s --check-prefix=ROTATE-CPU
// ROTATE-CPU: bench qtensor-exec median_ms={{[0-9.]+}} min_ms={{[0-9.]+}} runs=2 rotate=2
// ROTATE-CPU-NOT: kernels
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --input 2>&1 | FileCheck %s --check-prefix=VALUE
// VALUE: error: option '--input' needs a value
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta --frobnicate 2>&1 | FileCheck %s --check-prefix=OPTION
// OPTION: error: unknown option '--frobnicate' (see --help)
// RUN: %expect_exit 2 qtensor-exec 2>&1 | FileCheck %s --check-prefix=NO-ARTIFACT
// NO-ARTIFACT: error: no artifact directory given (see --help)
// RUN: %expect_exit 2 qtensor-exec %t/toy.qta %t/toy.qta 2>&1 | FileCheck %s --check-prefix=TWO
// TWO: error: more than one artifact
// RUN: qtensor-exec --help | FileCheck %s --check-prefix=HELP
// HELP: usage: qtensor-exec DIR --input x.npy

// CUDA artifacts: a chip the manifest cannot name (a GPU too old for the
// chip: test/unit/ModelCudaTest.cpp).
// RUN: qtensor-compile %t/toy.pt --input-shape ?x64 --target cuda:sm_90 --gpu-binary isa -o %t/cuda.qta
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/cuda.qta %t/chip.qta chip
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver %expect_exit 2 qtensor-exec %t/chip.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: error: malformed artifact manifest '{{.*}}': unknown chip 'sm_99x'
// RUN: %torch_python %S/../Inputs/edit-artifact.py %t/cuda.qta %t/binary.qta binary
// RUN: env QTENSOR_CUDA_DRIVER=%fake_cuda_driver %expect_exit 2 qtensor-exec %t/binary.qta --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=BINARY
// BINARY: error: malformed artifact manifest '{{.*}}': unknown gpu_binary 'elf' (expected isa or fatbin)
