//===- Artifact.h - run AOT-compiled models ---------------------*- C++ -*-===//
//
// The light runtime's API: loads an artifact that qtensor-compile wrote and
// runs it, with no LLVM, MLIR or LibTorch in the process. An artifact is a
// directory:
//
//   manifest.json   inputs, outputs, parameters, target, CPU features
//   model.so        the compiled code (host code; for CUDA targets also the
//                   embedded GPU binary), entry point `qtensor_forward`
//   weights.bin     every parameter, 64-byte aligned, at the manifest's
//                   offsets
//   state.bin       decoders only: the initial value of each state (KV
//                   cache), at the manifest's offsets
//
//   std::shared_ptr<qtensor::Artifact> artifact;
//   if (qtensor::Status status = qtensor::Artifact::load("toy.qta", artifact);
//       !status)
//     std::cerr << "error: " << status.message() << "\n";
//
// docs/aot.md describes the format and the tools.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_ARTIFACT_H
#define QTENSOR_RUNTIME_ARTIFACT_H

#include "qtensor/Runtime/State.h"
#include "qtensor/Runtime/Tensor.h"
#include "qtensor/Support/InputSpec.h"

#include <memory>

namespace qtensor {

/// The manifest's format version; qtensor-compile writes it, load() accepts
/// only it.
constexpr int kArtifactFormatVersion = 4;

/// A loaded artifact. run() may be called from several threads at once;
/// setParameters() must not run concurrently with run().
class QTENSOR_LIGHT_EXPORT Artifact {
public:
  /// Reads the manifest and the weights, checks that this host can run the
  /// code (CPU features; for CUDA targets a driver and a GPU of a compatible
  /// architecture), loads the library. Every failure is an error value.
  static Status load(const std::string &directory,
                     std::shared_ptr<Artifact> &artifact);

  /// Replaces every parameter: `path` is either a weights file laid out as
  /// the manifest says (weights.bin of an artifact of the same model), or a
  /// directory holding one NAME.npy per parameter (int8 data, f32 scales and
  /// biases, as `qtensor-run --dump-params` writes them), e.g. another
  /// checkpoint of the same architecture.
  Status setParameters(const std::string &path);

  /// Runs the model. Inputs must match the compiled shapes (a dynamic
  /// dimension takes any size) and dtype.
  Status run(const std::vector<TensorView> &inputs,
             std::vector<Tensor> &outputs) const;
  /// Runs a model with state (states() not empty), reading and updating
  /// `state`, as Model::run does: a failed run-time check (a position
  /// outside the KV cache) returns no output and writes no state.
  Status run(const std::vector<TensorView> &inputs,
             std::vector<Tensor> &outputs, State &state) const;
  /// A fresh state: the values saved in the model.
  std::unique_ptr<State> createState() const;
  /// The buffers the model keeps between calls (empty for most models).
  const std::vector<StateSpec> &states() const;
  /// Per input (or empty): the bound its integer values must stay below,
  /// which run() checks, or 0 (Model::inputBounds).
  const std::vector<int64_t> &inputBounds() const;

  /// What each input is: its dimensions (dynamic ones named, '?' for the
  /// batch) and dtype.
  const std::vector<InputSpec> &inputs() const;
  /// The parameters as the code reads them (host copies).
  const std::vector<Parameter> &parameters() const;
  /// "cpu (x86-64-v3)", "cuda sm_90 on GPU 0: NVIDIA H200, sm_90 (...)".
  const std::string &targetDescription() const;

  ~Artifact();

  struct Impl;

private:
  explicit Artifact(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace qtensor

#endif // QTENSOR_RUNTIME_ARTIFACT_H
