//===- PrefetchWeights.cpp - one prefetch stream per GEMV tile ------------===//
//
// A one-row tile reads tile-n weight rows a few bytes at a time each: many
// short streams. Each step of its K loop also prefetches the same number of
// bytes of the weights after the tile, in address order, so the next tile
// arrives as one sequential stream.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORPREFETCHWEIGHTS
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;

namespace {

constexpr int64_t kCacheLineBytes = 64;

/// What a GEMV loop streams: `tile`, rows of a contiguous row-major buffer
/// of `bufferBytes` bytes, of which each step reads `stepBytes`.
struct WeightStream {
  Value tile;
  int64_t tileBytes;
  int64_t stepBytes;
  int64_t rows;
  int64_t bufferBytes;
};

/// The weight tile `loop` steps through along K: its step reads a
/// [rows, lanes] subview at (0, k) of a tile of whole rows defined outside
/// the loop, itself a view of a static row-major buffer of one-byte
/// elements.
std::optional<WeightStream> matchWeightStream(scf::ForOp loop) {
  for (auto read : loop.getBody()->getOps<vector::TransferReadOp>()) {
    auto step = read.getBase().getDefiningOp<memref::SubViewOp>();
    if (!step || !loop.isDefinedOutsideOfLoop(step.getSource()))
      continue;
    auto tileType = cast<MemRefType>(step.getSource().getType());
    if (tileType.getElementTypeBitWidth() != 8 || tileType.getRank() != 2 ||
        !tileType.hasStaticShape())
      continue;
    SmallVector<OpFoldResult> offsets = step.getMixedOffsets();
    std::optional<int64_t> rowOffset = getConstantIntValue(offsets[0]);
    if (!rowOffset || *rowOffset != 0 ||
        dyn_cast_if_present<Value>(offsets[1]) != loop.getInductionVar() ||
        !step.hasUnitStride())
      continue;
    std::optional<int64_t> rows = getConstantIntValue(step.getMixedSizes()[0]);
    std::optional<int64_t> lanes = getConstantIntValue(step.getMixedSizes()[1]);
    std::optional<int64_t> loopStep = getConstantIntValue(loop.getStep());
    if (!rows || !lanes || *rows != tileType.getDimSize(0) || !loopStep ||
        *loopStep != *lanes)
      continue;
    // Rows one after another: a row stride of exactly one row.
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(tileType.getStridesAndOffset(strides, offset)) ||
        strides[0] != tileType.getDimSize(1) || strides[1] != 1)
      continue;
    // The buffer under the views: whole rows of it make the tile
    // contiguous.
    Value root = step.getSource();
    while (auto view = root.getDefiningOp<memref::SubViewOp>())
      root = view.getSource();
    auto rootType = cast<MemRefType>(root.getType());
    if (rootType.getRank() != 2 || !rootType.hasStaticShape() ||
        !rootType.getLayout().isIdentity() ||
        rootType.getDimSize(1) != tileType.getDimSize(1))
      continue;
    int64_t rowBytes = rootType.getDimSize(1);
    return WeightStream{step.getSource(), *rows * rowBytes, *rows * *lanes,
                        *rows, rootType.getNumElements()};
  }
  return std::nullopt;
}

void prefetchNextTile(scf::ForOp loop, const WeightStream &stream) {
  Location loc = loop.getLoc();
  OpBuilder b(loop);
  auto constant = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(b, loc, value);
  };
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, stream.tile);
  // The tile after this one starts where this one ends.
  Value next = arith::AddIOp::create(b, loc, metadata.getOffset(),
                                     constant(stream.tileBytes));
  Value last =
      constant(std::max<int64_t>(stream.bufferBytes - kCacheLineBytes, 0));
  Value rows = constant(stream.rows);
  Value zero = constant(0);
  SmallVector<Value> lines;
  for (int64_t line = kCacheLineBytes; line < stream.stepBytes;
       line += kCacheLineBytes)
    lines.push_back(constant(line));
  auto tileType = cast<MemRefType>(stream.tile.getType());
  auto lineType = MemRefType::get(
      {1}, tileType.getElementType(),
      StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, {1}),
      tileType.getMemorySpace());

  b.setInsertionPointToStart(loop.getBody());
  // Step k has read k * rows bytes of its tile; as many of the next.
  Value done = arith::MulIOp::create(b, loc, loop.getInductionVar(), rows);
  Value position = arith::AddIOp::create(b, loc, next, done);
  auto prefetch = [&](Value address) {
    address = arith::MinSIOp::create(b, loc, address, last);
    Value view = memref::ReinterpretCastOp::create(
        b, loc, lineType, metadata.getBaseBuffer(), OpFoldResult(address),
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    // Into the L2 cache: the tile is read only once it starts.
    memref::PrefetchOp::create(b, loc, view, ValueRange{zero},
                               /*isWrite=*/false, /*localityHint=*/2,
                               /*isDataCache=*/true);
  };
  prefetch(position);
  for (Value line : lines)
    prefetch(arith::AddIOp::create(b, loc, position, line));
}

class PrefetchWeightsPass
    : public mlir::qtensor::impl::QTensorPrefetchWeightsBase<
          PrefetchWeightsPass> {
public:
  void runOnOperation() override {
    SmallVector<std::pair<scf::ForOp, WeightStream>> streams;
    getOperation().walk([&](scf::ForOp loop) {
      if (!loop->hasAttr(mlir::qtensor::kGemvLoopAttr))
        return;
      if (std::optional<WeightStream> stream = matchWeightStream(loop))
        streams.emplace_back(loop, *stream);
    });
    for (auto &[loop, stream] : streams)
      prefetchNextTile(loop, stream);
  }
};

} // namespace
