// REQUIRES: ptxas
// Tests that kernels calling libdevice (math.erf is __nv_erff) compile when
// the ptxas found first is a wrapper script outside the toolkit, as a
// /usr/local/bin/ptxas that execs /usr/local/cuda/bin/ptxas: the toolkit
// root given to the serializer is the one holding nvvm/libdevice, not the
// directory above the wrapper.

// RUN: rm -rf %t && mkdir -p %t/bin
// RUN: printf '#!/bin/sh\nexec %ptxas "$@"\n' > %t/bin/ptxas && chmod +x %t/bin/ptxas
// RUN: env PATH=%t/bin:/usr/bin:/bin CUDA_ROOT= CUDA_HOME= CUDA_PATH= \
// RUN:   qtensor-opt --qtensor-gpu-pipeline="chip=sm_80" %s -o %t/erf.mlir
// RUN: %extract_ptx %t/erf.mlir | FileCheck %s
// RUN: %extract_ptx %t/erf.mlir --ptxas %ptxas --gpu-name sm_80 | FileCheck %s --check-prefix=PTXAS

// libdevice is linked: erf's body is in the kernel, no call is left open.
// CHECK: .visible .entry
// CHECK-NOT: .extern .func {{.*}}__nv_erff
// CHECK-NOT: call{{.*}}__nv_erff
// PTXAS: Compiling entry function
// PTXAS: 0 bytes spill stores, 0 bytes spill loads

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %empty = tensor.empty() : tensor<4x64xf32>
  %y = linalg.generic {indexing_maps = [#map, #map],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%empty : tensor<4x64xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.erf %a : f32
    linalg.yield %e : f32
  } -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
