//===- Runtime.h - compile and run qtensor models from C++ ------*- C++ -*-===//
//
// The public C++ API of the qtensor JIT runtime. It names no LLVM, MLIR or
// LibTorch type: a program that only compiles and runs models includes this
// header and links QTensor::runtime. at::Tensor entry points are in
// qtensor/Runtime/TorchInterop.h.
//
//   qtensor::CompileOptions options;
//   options.inputs = {qtensor::InputSpec::fromShape({-1, 64})}; // any batch
//   std::shared_ptr<qtensor::Model> model;
//   if (qtensor::Status status = qtensor::Model::compile("toy.pt", options,
//                                                        model); !status)
//     std::cerr << "error: " << status.message() << "\n";
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_RUNTIME_H
#define QTENSOR_RUNTIME_RUNTIME_H

#include "qtensor/Runtime/EntryPoint.h"
#include "qtensor/Runtime/State.h"
#include "qtensor/Runtime/Tensor.h"
#include "qtensor/Support/InputSpec.h"
#include "qtensor/Support/QuantScheme.h"

#include <memory>
#include <string>

namespace qtensor {

enum class Target { Auto, Cpu, Cuda };

/// Reads a target's spelling, "auto", "cpu" or "cuda" (the tools'
/// --target); false for anything else.
inline bool parseTarget(const std::string &text, Target &target) {
  if (text == "auto")
    target = Target::Auto;
  else if (text == "cpu")
    target = Target::Cpu;
  else if (text == "cuda")
    target = Target::Cuda;
  else
    return false;
  return true;
}

struct CompileOptions {
  /// One description per input of `forward`: dimensions and dtype
  /// (qtensor/Support/InputSpec.h; parseInputSpec reads the tools'
  /// spelling, "?x64", "1xT:i64"). Required for TorchScript models, where
  /// inputs with a None default may be left out at the end (they are None
  /// and the compiled model does not take them); for
  /// .mlir models, when given, it must match @forward's argument types and
  /// names its dynamic sizes (else every dynamic size is '?').
  std::vector<InputSpec> inputs;
  /// How every linear/matmul weight is quantized (QuantScheme.h):
  /// QuantScheme::int8() (the seed's int8 weight-only) or ::none(); the
  /// other schemes parse but are refused until they are implemented.
  QuantScheme quantization = QuantScheme::int8();
  /// Auto picks CUDA when a driver and GPU answer, else the CPU.
  Target target = Target::Auto;
  /// Fuse each linear into one kernel; off compiles the unfused program.
  bool fuse = true;
  /// Split each kernel's output columns over OpenMP threads (as many as
  /// OMP_NUM_THREADS says, by default one per core). Every output element
  /// is computed by one thread in a fixed order, so results are
  /// bit-identical with or without it, at any thread count.
  bool parallel = true;
  /// Tuning of the CUDA kernels, `key=value` pairs separated by spaces:
  /// small-m, tile-m, tensor-cores, splitk-columns (docs/gpu-pipeline.md,
  /// "Options"); empty: the defaults. Checked before anything is compiled,
  /// for any target; an error with Target::Cpu, without effect when
  /// Target::Auto chooses the CPU.
  std::string gpuKernelOptions;
  /// When not empty, the IR after each stage is written there.
  std::string dumpStagesDirectory;
  /// When not empty, compiled models are kept there across processes (as
  /// MLIR bytecode of the lowered module, keyed like the in-process cache);
  /// a hit skips import and the qtensor pipeline, not the LLVM JIT.
  std::string cacheDirectory;
  /// Time each top-level op of the compiled code, read with
  /// Model::profile() (docs/runtime.md, "Op profile"): two clock reads per
  /// op and call. The CPU JIT only: refused for cuda and for artifacts.
  bool profile = false;
};

/// One entry of the op profile: the ops from one profile point to the
/// next, summed over every call since the model was compiled (or the
/// profile reset).
struct ProfileEntry {
  /// "linear" (a kernel with weights), "attention" (a product of two
  /// activations) or "other" (norms, softmax, rotary tables, copies, ...).
  std::string category;
  /// A linear's weight, else the source location ("model.py:42").
  std::string name;
  double seconds = 0;
  int64_t calls = 0;
};

/// A compiled model: its code and its parameter buffers. Calls from several
/// threads at once are safe and give identical results.
class Model {
public:
  /// Compiles a TorchScript (.pt) or stage-0 MLIR (.mlir) model for the
  /// given input shapes. A model compiled before in this process with the
  /// same content, shapes, options, host CPU and versions is returned from
  /// the in-process cache.
  static Status compile(const std::string &path, const CompileOptions &options,
                        std::shared_ptr<Model> &model);

  /// Runs the model. Inputs must match the compiled shapes and dtypes; a
  /// dynamic dimension takes any size, one size per name across inputs.
  Status run(const std::vector<TensorView> &inputs,
             std::vector<Tensor> &outputs) const;
  /// Runs a model with state (states() not empty), reading and updating
  /// `state`. A failed run-time check (a position outside the KV cache) is
  /// an error that returns no output and writes no state.
  Status run(const std::vector<TensorView> &inputs,
             std::vector<Tensor> &outputs, State &state) const;
  /// Per input (or empty): the bound its integer values must stay below,
  /// which run() checks, or 0. A decoder bounds its positions by its cache
  /// length and its token ids by its vocabulary.
  const std::vector<int64_t> &inputBounds() const;
  /// A fresh state for this model: the values saved in it.
  std::unique_ptr<State> createState() const;
  /// The buffers the model keeps between calls (empty for most models):
  /// name, dtype, shape and initial value of each.
  const std::vector<StateSpec> &states() const;

  const std::vector<Parameter> &parameters() const;
  size_t numInputs() const;
  /// What each input is: dimensions (dynamic ones named) and dtype.
  const std::vector<InputSpec> &inputs() const;
  /// Where the code runs, e.g. "cpu (skylake-avx512)".
  const std::string &targetDescription() const;
  /// Why `Target::Auto` chose the target it did.
  const std::string &targetReason() const;
  /// Wall time of each compile stage in milliseconds, in order.
  const std::vector<std::pair<std::string, double>> &stageTimings() const;
  /// The op profile (CompileOptions::profile; empty without it), in the
  /// order the entries first run.
  std::vector<ProfileEntry> profile() const;
  /// Zeroes the op profile.
  void resetProfile() const;

  ~Model();

  struct Impl;

private:
  explicit Model(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl;
};

/// What compileArtifact needs beyond CompileOptions.
struct ArtifactOptions {
  /// The LLVM CPU the host code is compiled for: "x86-64-v3" (AVX2 and FMA:
  /// x86 servers and desktops of the last decade), a CPU name ("znver4",
  /// "sapphirerapids", ...) or "native" (this machine).
  std::string cpu = "x86-64-v3";
  /// For Target::Cuda: the GPU (sm_80, sm_86, sm_89, sm_90, sm_90a).
  std::string chip = "sm_90";
  /// For Target::Cuda: the GPU binary embedded in model.so. "fatbin": cubin
  /// and PTX (needs ptxas and fatbinary); "isa": PTX alone, compiled by the
  /// driver at load time; "auto": fatbin when the toolkit is found, else isa.
  std::string gpuBinary = "auto";
  /// Off: no weights.bin; the parameters must be given at run time
  /// (Artifact::setParameters, qtensor-exec --params).
  bool includeWeights = true;
};

/// Compiles a model ahead of time into an artifact directory that the light
/// runtime (qtensor/Runtime/Artifact.h, qtensor-exec) runs. options.target
/// must be Cpu or Cuda. The artifact is written beside `directory` and
/// renamed into place: on failure nothing is left there, and an artifact
/// already there is replaced only on success.
Status compileArtifact(const std::string &path, const CompileOptions &options,
                       const ArtifactOptions &artifactOptions,
                       const std::string &directory);

/// Compile-cache statistics of this process.
struct CacheStats {
  size_t hits = 0;     ///< served by the in-process cache
  size_t misses = 0;   ///< not in the in-process cache
  size_t diskHits = 0; ///< of the misses, served by a cache directory
};
CacheStats getCacheStats();

/// Forgets the in-process cache (models already returned stay valid).
void clearCompileCache();

} // namespace qtensor

#endif // QTENSOR_RUNTIME_RUNTIME_H
