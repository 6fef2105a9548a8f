//===- KernelEmitter.h - emitters of the GPU kernel families ----*- C++ -*-===//
//
// The code of one fused kernel's GPU kernels: a base of IR-building helpers
// that every family shares (the grid, the int8 -> float conversion, the
// fmas, the epilogue store) and one emitter per family, which builds the
// variant a #qtensor.gpu_kernel describes. Nothing here chooses a kernel.
// With `emulate`, the same bodies are emitted in scf.parallel loops the CPU
// can run; the parts that differ are in Emulation.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_GPUKERNELS_KERNELEMITTER_H
#define QTENSOR_PASSES_GPUKERNELS_KERNELEMITTER_H

#include "FusedKernel.h"
#include "GridEmitter.h"

#include "qtensor/Dialect/QTensorDialect.h"

namespace mlir {
namespace qtensor {

/// Emits code of one fused kernel at the builder's position. The family
/// emitters are copies of one base, so that all variants of a kernel share
/// its batch-size value.
class KernelEmitter : public GridEmitter {
public:
  /// Emits M (the output's size 0), which every variant reads.
  KernelEmitter(OpBuilder &builder, Location loc, const FusedKernel &kernel,
                bool emulate, std::string stem);

  /// `small()` for batches of at most `maxRows` rows, else `large()`: the
  /// one that applies when M is static, both and an scf.if on M otherwise.
  void emitByBatchSize(int64_t maxRows, function_ref<void()> small,
                       function_ref<void()> large);

protected:
  /// An f32 vector of zeros.
  Value zeroVector(VectorType type);
  /// ceil(M / `blockRows`).
  Value rowBlocks(int64_t blockRows);
  Value reduce(Value partialSums);

  /// w[column, k .. k + `width`), one aligned load (ld.global.v4 at 16).
  Value loadWeightSlice(Value column, Value k, int64_t width);
  /// float(w) for an int8 vector, bit-identical to arith.sitofp.
  Value convertInt8ToF32(Value weight);
  /// float(w) as f16 or bf16 (the activations' type), bit-identical to
  /// arith.sitofp.
  Value convertInt8ToHalf(Value weight);
  /// The alignment of a `width`-element activation slice load: 16 bytes at
  /// most (an aligned f32 slice is one ld.global.v4.f32).
  int64_t getInputAlignment(int64_t width);
  /// accs[c * R + r] + x[rows[r], k .. k + V) * float(weights[c]) for C
  /// weight slices of V elements and R rows.
  SmallVector<Value> emitFmas(ValueRange weights, ValueRange rowIndices,
                              Value k, ValueRange accs, int64_t inputAlign);
  /// For each column c in `columns` and row r in `rowIndices`, the `width`
  /// partial sums c * R + r of x[row, k] * float(w[column, k]) over
  /// k = lower, lower + step, ... < K (each step reads `width` consecutive
  /// k), added to `initialSums` (zeros when empty).
  SmallVector<Value> emitPartialSums(int64_t width, ValueRange rowIndices,
                                     ValueRange columns, Value lower,
                                     int64_t step, ValueRange initialSums = {});
  /// output[row, column] = epilogue(sum).
  void emitEpilogueStore(Value sum, Value row, Value column);

  const FusedKernel &kernel;
  Type elementType;
  Value rows;

private:
  Value biasInt8(Value weight);
  Value placeUnderExponent(Value biased, ArrayRef<int8_t> exponentBytes,
                           ArrayRef<int64_t> fromExponent, Type floatType,
                           double offset);
  Value subtractSplat(Value value, double offset);
};

/// The split-K kernel (`splitk`), SplitKKernel.cpp.
class SplitKEmitter : public KernelEmitter {
public:
  SplitKEmitter(const KernelEmitter &base, GpuKernelAttr config);
  void emit();

private:
  SmallVector<Value> emitLanePartialSums(Value lane, Value row,
                                         ValueRange columns);
  SmallVector<Value> emitWarpSums(Value lane, Value row, ValueRange columns);
  SmallVector<Value> emitEmulatedWarpSums(Value row, ValueRange columns);

  int64_t vectorWidth;
  int64_t columnsPerWarp;
};

/// The tiled kernels (`tiled`, `shared_tiled`), TiledKernels.cpp.
class TiledEmitter : public KernelEmitter {
public:
  TiledEmitter(const KernelEmitter &base, GpuKernelAttr config);
  void emit();

private:
  void emitTiled();
  void emitSharedTiled();
  void getTiledRows(ThreadIds ids, SmallVector<Value> &rowIndices,
                    SmallVector<Value> &clamped);
  Value getTiledColumn(ThreadIds ids);
  void emitWeightTileCopy(ThreadIds ids, Value k0, Value tile);
  MemRefType getWeightTileType(Attribute memorySpace = {});
  SmallVector<Value> emitTileProducts(ThreadIds ids, ArrayRef<Value> rowIndices,
                                      Value k0, Value tile,
                                      ValueRange partials);
  void emitTiledStores(Value column, ArrayRef<Value> rowIndices,
                       ArrayRef<Value> partials, bool checkColumn);
  void emitEmulatedSharedTiled(Value gridX, Value gridY);
  void emitEmulatedSharedTiledBlock(Value blockX, Value blockY);

  /// Weight bytes per load of the direct kernel.
  int64_t vectorWidth;
  int64_t tileM;
  /// Weight bytes per row the shared-memory kernel stages per step; 0: the
  /// direct kernel.
  int64_t tileK;
};

/// The tensor-core kernels (`mma`, `mma_ksplit`), MmaKernels.cpp.
class MmaEmitter : public KernelEmitter {
public:
  MmaEmitter(const KernelEmitter &base, GpuKernelAttr config);
  void emit();

private:
  /// Where lane (g, t) of a warp reads and writes: its activation rows
  /// (row tile p, half h: row g + 8h) and weight rows (column tile q, row
  /// g), clamped into the matrices, and the first of its k in each step.
  struct MmaLane {
    Value g, t, kOffset;
    SmallVector<Value> rows, weightRows;
  };
  /// A lane's mma fragments for one k step at `k0`: `a[j][p]`
  /// (vector<4x2xT>, rows g, g + 8, g, g + 8 at k offsets 2t, 2t, 2t + 8,
  /// 2t + 8) of row tile p and `bFragments[j][q]` (vector<2x2xT>, k offsets
  /// 2t and 2t + 8) of column tile q, for chunk j.
  struct MmaOperands {
    SmallVector<SmallVector<Value>> a, bFragments;
  };

  void emitMma();
  void emitMmaKSplit();
  MmaLane getMmaLane(Value lane, Value firstRow, Value firstColumn);
  MmaOperands loadMmaOperands(const MmaLane &lane, Value k0);
  std::pair<Value, Value> getMmaResultPosition(const MmaLane &lane, int64_t p,
                                               int64_t q, int64_t i);
  static int64_t getMmaResultIndex(int64_t p, int64_t q, int64_t i);
  void emitMmaStores(const MmaLane &lane, Value firstRow, Value firstColumn,
                     function_ref<Value(int64_t)> resultAt);
  void emitMmaWarp(Value laneId, Value firstRow, Value firstColumn);
  Value getMmaResult(ArrayRef<Value> accs, int64_t index);
  SmallVector<Value> emitMmaSteps(const MmaLane &lane, Value kBegin,
                                  Value kEnd);
  MemRefType getWarpPartialsType(Attribute memorySpace = {});
  Value sumWarpPartials(Value partials, Value lane, int64_t index);
  void emitEmulatedMmaKSplit(Value gridX, Value gridY, int64_t kPerWarp);
  void emitEmulatedMmaKSplitBlock(Value firstRow, Value firstColumn,
                                  int64_t kPerWarp);
  void emitEmulatedMmaWarp(Value firstRow, Value firstColumn);
  void emitEmulatedMmaSteps(Value accs, Value warp, Value firstRow,
                            Value firstColumn, Value kBegin, Value kEnd);

  /// `mma` or `mma_ksplit`.
  GpuKernelFamily family;
  /// k chunks of 16 per k step.
  int64_t chunks;
};

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_GPUKERNELS_KERNELEMITTER_H
