//===- GridEmitter.h - GPU grids, real or emulated --------------*- C++ -*-===//
//
// What every GPU kernel emitter builds on: a grid of blocks and threads as
// a gpu.launch, or with `emulate` as scf.parallel loops the CPU pipeline
// runs (Emulation.cpp), and the index arithmetic around it.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_GPUKERNELS_GRIDEMITTER_H
#define QTENSOR_PASSES_GPUKERNELS_GRIDEMITTER_H

#include "mlir/IR/Builders.h"

#include <string>

namespace mlir {
namespace qtensor {

/// Block and thread ids of one (emulated or real) GPU thread, x and y.
struct ThreadIds {
  Value blockX, blockY, threadX, threadY;
};

/// Emits GPU grids at the builder's position; kernels are named after
/// `stem`.
class GridEmitter {
public:
  GridEmitter(OpBuilder &builder, Location loc, bool emulate, std::string stem)
      : b(builder), loc(loc), emulate(emulate), stem(std::move(stem)) {}

protected:
  Value constant(int64_t value);
  Value add(Value lhs, Value rhs);
  Value mul(Value lhs, int64_t rhs);
  /// ceil(`value` / `divisor`), without arith.ceildivui, which the LLVM
  /// lowerings do not handle.
  Value ceilDiv(Value value, int64_t divisor);
  Value isBelow(Value index, Value bound);
  Attribute getWorkgroupMemorySpace();

  /// A grid of `gridX` x `gridY` blocks of `blockX` x `blockY` threads
  /// running `body`: a gpu.launch named after the stem and `variant`, or
  /// with `emulate` an scf.parallel over the four ids.
  void emitGrid(StringRef variant, Value gridX, Value gridY, int64_t blockX,
                int64_t blockY, function_ref<void(ThreadIds)> body);
  /// Runs `then` when `condition` holds.
  void emitIf(Value condition, function_ref<void()> then);

  // The CPU's stand-ins for the grid and the warps (Emulation.cpp).

  /// emitGrid's scf.parallel over (block x, block y, thread x, thread y).
  void emitEmulatedGrid(Value gridX, Value gridY, int64_t blockX,
                        int64_t blockY, function_ref<void(ThreadIds)> body);
  /// An scf.parallel over the grid's blocks, running `body(blockX, blockY)`.
  void emitEmulatedBlocks(Value gridX, Value gridY,
                          function_ref<void(Value, Value)> body);
  /// Runs `body(lane)` for the 32 lanes of an emulated warp, one after the
  /// other.
  void emitLaneLoop(function_ref<void(Value)> body);

  OpBuilder &b;
  Location loc;
  bool emulate;
  std::string stem;
};

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_GPUKERNELS_GRIDEMITTER_H
