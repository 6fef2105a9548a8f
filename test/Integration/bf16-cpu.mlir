// Tests that a bf16 model runs on the CPU where its int8 linear is a
// one-row GEMV (a batch of 1: JIT, and artifacts compiled for a static and
// a dynamic batch): LLVM's
// X86 backend legalizes the bf16 selects its optimizations form through
// f32 and calls compiler-rt's __truncsfbf2 to round back, which the JIT
// now maps to the light runtime's definition and model.so finds there
// (both failed to link before). The JIT and the static artifact agree bit
// for bit; the dynamic artifact's one-row kernel sums in another order
// (one bf16 ulp apart here); both are close to the float model
// (test/unit LightRuntimeTest has the rounding itself).

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_models.py %t bf16
// RUN: %torch_python %S/check_bf16.py inputs %t 1x32
// RUN: qtensor-run %t/bf16.pt --input %t/x0.npy --quantize int8 --target cpu --output %t/static.npy
// RUN: qtensor-compile %t/bf16.pt --input-shape ?x32 --input-dtype bf16 --target cpu -o %t/dynamic.qta
// RUN: qtensor-exec %t/dynamic.qta --input %t/x0.npy --output %t/dynamic.npy
// RUN: qtensor-compile %t/bf16.pt --input-shape 1x32 --input-dtype bf16 --target cpu -o %t/static.qta
// RUN: qtensor-exec %t/static.qta --input %t/x0.npy --output %t/artifact.npy
// RUN: %torch_python %S/check_bf16.py same %t/static.npy %t/artifact.npy | FileCheck %s --check-prefix=SAME
// SAME: 2 results the same
// RUN: %torch_python %S/check_bf16.py sqnr 30 %t/bf16.pt %t/static.npy %t/x0.npy | FileCheck %s
// RUN: %torch_python %S/check_bf16.py sqnr 30 %t/bf16.pt %t/dynamic.npy %t/x0.npy | FileCheck %s
// CHECK: SQNR vs the float model: {{[3-9][0-9]\.[0-9]}} dB
