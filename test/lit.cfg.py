# lit configuration for qtensor's FileCheck tests.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "qtensor"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qtensor_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "Inputs", "reference", "Fuzz"]

# Variables captured in one CHECK-LABEL block do not leak into the next.
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"

llvm_config.use_default_substitutions()
config.substitutions.append(("%qtensor_src", config.qtensor_src_root))
config.substitutions.append(("%mlir_include", config.mlir_include_dir))
config.substitutions.append(("%torch_python", config.torch_python))
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["qtensor-opt", "qtensor-import", "qtensor-run", "qtensor-compile",
     "qtensor-exec", "qtensor-generate", "mlir-tblgen"],
    [config.qtensor_tools_dir, config.llvm_tools_dir],
)

# `%expect_exit N cmd ...` succeeds only if cmd exits with status N.
import sys
config.substitutions.append(
    ("%expect_exit", f"{sys.executable} {os.path.join(config.test_source_root, 'Inputs', 'expect-exit.py')}")
)

# `%mlir_runner` JIT-runs an LLVM-dialect module's `main` with the upstream
# runner utilities (printMemrefF32) and the light runtime's buffer allocator,
# which the pipelines' code calls (built alone and unsanitized, as
# mlir-runner is).
runner_libs = ",".join(
    [os.path.join(config.llvm_lib_dir, name)
     for name in ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so")]
    + [config.runner_allocator]
)
config.substitutions.append(
    ("%mlir_runner",
     f"{os.path.join(config.llvm_tools_dir, 'mlir-runner')} -e main "
     f"-entry-point-result=void -shared-libs={runner_libs}")
)

# `%extract_ptx FILE` prints the PTX of every gpu.binary in FILE (format=isa);
# with `--ptxas %ptxas --gpu-name sm_XX` it assembles each one instead.
config.substitutions.append(
    ("%extract_ptx", f"{sys.executable} {os.path.join(config.test_source_root, 'Inputs', 'extract-ptx.py')}")
)
# The `ptxas` feature: the CUDA toolkit's assembler is installed.
ptxas = "/usr/local/cuda/bin/ptxas"
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# `%compare_npy A B [--exact]` compares two .npy files (test/Inputs).
config.substitutions.append(
    ("%compare_npy", f"{sys.executable} {os.path.join(config.test_source_root, 'Inputs', 'compare-npy.py')}")
)
# `%fake_cuda_driver`: the fake libcuda.so.1 that the unit tests build
# (test/unit/FakeCudaDriver.cpp); QTENSOR_CUDA_DRIVER=%fake_cuda_driver runs
# the CUDA paths of the tools with no GPU.
# `%fake_cuda_driver_no_graphs`: the same without the CUDA-graph entry points.
config.substitutions.append(("%fake_cuda_driver_no_graphs",
                             config.fake_cuda_driver_no_graphs))
config.substitutions.append(("%fake_cuda_driver", config.fake_cuda_driver))
