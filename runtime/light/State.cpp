//===- State.cpp - the buffers a decoder keeps between calls --------------===//

#include "qtensor/Runtime/State.h"

namespace qtensor {

std::unique_ptr<State> State::create(const void *owner,
                                     const std::vector<StateSpec> &specs) {
  std::unique_ptr<State> state(new State());
  state->owner = owner;
  state->specs = &specs;
  state->reset();
  return state;
}

void State::reset() {
  storage.clear();
  for (const StateSpec &spec : *specs) {
    Tensor buffer;
    buffer.dtype = spec.dtype;
    buffer.shape = spec.shape;
    buffer.bytes = spec.initial;
    storage.push_back(std::move(buffer));
  }
}

Status State::buffersFor(const void *runner, std::vector<void *> &buffers) {
  if (owner != runner)
    return Status::error("the state was created by another model");
  buffers.clear();
  for (Tensor &buffer : storage)
    buffers.push_back(buffer.bytes.data());
  return Status::success();
}

} // namespace qtensor
