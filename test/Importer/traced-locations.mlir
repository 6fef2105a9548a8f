// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_traced_models.py %t

// Tests that a traced model's ops are located at the user's innermost line
// outside PyTorch's files (the trace records lines, not columns), fused with
// the op's own frame, and that the fusion names the module instance, a
// ModuleList's index included (make_traced_models.py).
// RUN: qtensor-import %t/traced.pt --input-shape 4x8 -o %t/traced.mlir
// RUN: FileCheck %s < %t/traced.mlir
// CHECK-DAG: #[[PROJ:loc[0-9]+]] = loc("{{.*}}make_traced_models.py":26:0)
// CHECK-DAG: #[[LINEAR:loc[0-9]+]] = loc("{{.*}}torch/nn/modules/linear.py":{{[0-9]+}}:0)
// CHECK-DAG: #[[RELU:loc[0-9]+]] = loc("{{.*}}make_traced_models.py":29:0)
// CHECK-DAG: #[[ADD:loc[0-9]+]] = loc("{{.*}}make_traced_models.py":38:0)
// CHECK-DAG: #[[PROJ0:loc[0-9]+]] = loc(fused<"blocks.0.attn.proj">[#[[PROJ]], #[[LINEAR]]])
// CHECK-DAG: #[[PROJ1:loc[0-9]+]] = loc(fused<"blocks.1.attn.proj">[#[[PROJ]], #[[LINEAR]]])
// CHECK-DAG: #[[RELU1:loc[0-9]+]] = loc(fused<"blocks.1.attn">[#[[RELU]]])
// CHECK-DAG: #[[ADD0:loc[0-9]+]] = loc(fused<"blocks.0">[#[[ADD]]])
// CHECK-DAG: qtensor.linear {{.*}} loc(#[[PROJ0]])
// CHECK-DAG: qtensor.linear {{.*}} loc(#[[PROJ1]])
// CHECK-DAG: arith.maximumf {{.*}} loc(#[[RELU1]])
// CHECK-DAG: arith.addf {{.*}} loc(#[[ADD0]])

// Tests that an error in a traced model names the file, the line and the
// module; a scripted model's error names the module too, at the line and
// column of the top-level call.
// RUN: %expect_exit 2 qtensor-import %t/traced_sort.pt --input-shape 4x8 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=TRACED-ERROR
// TRACED-ERROR: error: unsupported operator 'aten::sort' at {{.*}}make_traced_models.py:28 (module blocks.1.attn){{$}}
// RUN: %expect_exit 2 qtensor-import %t/scripted_sort.pt --input-shape 4x8 -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=SCRIPTED-ERROR
// SCRIPTED-ERROR: error: unsupported operator 'aten::sort' at {{.*}}make_traced_models.py:48:17 (module blocks.1.attn){{$}}
// RUN: not test -e %t/out.mlir
