//===- State.h - the buffers a decoder keeps between calls ------*- C++ -*-===//
//
// A State holds one generation's KV cache: the buffers a model's forward
// writes (docs/decoding.md). The JIT (Model) and AOT artifacts (Artifact)
// create and run them alike:
//
//   std::unique_ptr<qtensor::State> state = model->createState();
//   model->run(inputs, outputs, *state); // prefill, then one call per token
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_STATE_H
#define QTENSOR_RUNTIME_STATE_H

#include "qtensor/Runtime/EntryPoint.h"

#include <memory>

namespace qtensor {

class Artifact;
class Model;

/// The buffers a model keeps between calls (a decoder's KV cache): one per
/// generation, so that several generations run at once on one model. It
/// starts with the values saved in the model (zeros for a fresh cache);
/// each run with it reads and updates them in place. One call at a time
/// may use a State.
class QTENSOR_LIGHT_EXPORT State {
public:
  /// Puts back the values saved in the model.
  void reset();
  /// The buffers, in the order and with the names of the model's states().
  const std::vector<Tensor> &buffers() const { return storage; }

private:
  friend class Artifact;
  friend class Model;
  /// A fresh state of the model or artifact `owner` (its implementation),
  /// whose states `specs` describes; `specs` outlives it.
  static std::unique_ptr<State> create(const void *owner,
                                       const std::vector<StateSpec> &specs);
  /// The buffers as callEntry takes them, or an error when the state
  /// belongs to another model than `runner`.
  Status buffersFor(const void *runner, std::vector<void *> &buffers);

  State() = default;
  const void *owner = nullptr;
  const std::vector<StateSpec> *specs = nullptr;
  std::vector<Tensor> storage;
};

} // namespace qtensor

#endif // QTENSOR_RUNTIME_STATE_H
