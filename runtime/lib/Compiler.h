//===- Compiler.h - what the JIT and the AOT writer share -------*- C++ -*-===//
//
// Internal to QTensorRuntime: the model front end (import or parse), the
// qtensor pipeline for a CPU or CUDA target, the parameters taken out of the
// lowered module, and the translation registrations both LLVM back ends need.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_LIB_COMPILER_H
#define QTENSOR_RUNTIME_LIB_COMPILER_H

#include "qtensor/Runtime/EntryPoint.h"
#include "qtensor/Runtime/Runtime.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"

#include <chrono>
#include <memory>
#include <string>

namespace llvm {
class Error;
class Module;
class TargetMachine;
} // namespace llvm

namespace qtensor::detail {

using StageTimings = std::vector<std::pair<std::string, double>>;

/// Where the compiled code runs.
struct CodeTarget {
  bool cuda = false;
  /// CUDA only: the chip and the gpu-module-to-binary format.
  std::string chip;
  std::string gpuFormat = "isa";
  /// CPU only: the width of the widest vector registers the code may use
  /// (512 with AVX-512, else 256), which picks the kernels' tile sizes;
  /// 0: the host's.
  int64_t cpuVectorBits = 0;
};

/// Checks `options` before any work: input shapes (sizes >= 0, -1, the
/// dynamic batch, only leading) and the GPU kernel options (known keys,
/// values the option parser takes, a target that can be cuda).
Status validateOptions(const CompileOptions &options);

/// Imports a .pt or parses a .mlir file as stage-0 IR.
Status loadModel(const std::string &path, const CompileOptions &options,
                 mlir::MLIRContext &context,
                 mlir::OwningOpRef<mlir::ModuleOp> &module,
                 StageTimings &timings);

/// Reads the interface of @forward that lowerModel recorded in `module`
/// (inputs, states with their initial values, results, status messages),
/// checked against `options`.
Status readSignature(mlir::ModuleOp module, const CompileOptions &options,
                     EntrySignature &signature);

/// Stage 0 to the LLVM dialect (CPU: --qtensor-cpu-pipeline; CUDA:
/// --qtensor-gpu-pipeline), with weights as parameters of @forward, whose
/// signature is recorded in `signature`.
Status lowerModel(mlir::ModuleOp module, const CompileOptions &options,
                  const CodeTarget &target, const std::string &dumpDirectory,
                  StageTimings &timings, EntrySignature &signature);

/// A parameter of a lowered @forward and its bytes.
struct ModuleParameter {
  Parameter parameter; ///< data is null
  llvm::ArrayRef<char> bytes;
  llvm::SmallVector<char> splat; ///< storage when the value is a splat
};

/// Takes the parameters (qtensor.parameters) out of a lowered module, in
/// @forward's argument order after its `numInputs` inputs and states. The bytes
/// are owned by the context (or by `splat`).
Status takeParameters(mlir::ModuleOp module, size_t numInputs,
                      std::vector<ModuleParameter> &parameters);

/// True when the lowered module has OpenMP ops (parallel CPU kernels): its
/// code then needs libomp.
bool usesOpenMP(mlir::ModuleOp module);

/// The host's LLVM target and asm printer, initialized once per process.
void initializeNativeTarget();

/// An LLVM target machine for host code on `cpu`: an LLVM CPU name
/// ("x86-64-v3", "znver4", ...) or "native" (this machine, with its
/// features). TargetMachine.cpp.
Status createTargetMachine(const std::string &cpu,
                           std::unique_ptr<llvm::TargetMachine> &machine);

/// Optimizes `module` at -O3 for `machine`, whose CPU and features every
/// function records, so that the optimizer's cost models are the target's.
llvm::Error optimizeForTarget(llvm::Module &module,
                              llvm::TargetMachine &machine);

/// Registers the translations to LLVM IR that lowered modules need
/// (builtin, LLVM, OpenMP, GPU offloading, NVVM).
void registerTranslations(mlir::MLIRContext &context);

/// The error diagnostics of a context, collected as one line.
class FirstError {
public:
  explicit FirstError(mlir::MLIRContext *context);
  const std::string &str() const { return text; }

private:
  std::string text;
  mlir::ScopedDiagnosticHandler handler;
};

/// Milliseconds since `start`.
double millisecondsSince(std::chrono::steady_clock::time_point start);

} // namespace qtensor::detail

#endif // QTENSOR_RUNTIME_LIB_COMPILER_H
