//===- PadInputRows.cpp - input rows apart from L1 set aliasing -----------===//
//
// Before any kernel is tiled, the input rows of contractions whose stride
// would make a register tile's rows share an L1 set are copied into rows
// with a padded stride.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qtensor;

/// Gives the input rows of a contraction a padded stride when theirs is a
/// multiple of 2 KiB (K a multiple of 512 for f32): the rows of a register
/// tile then sit at the same offset within 4 KiB, fall into one or two sets
/// of the L1 data cache and evict each other at every K step (K = 4096 ran
/// at 2/3 of the speed of K = 4160 on the development machine). The copy is
/// made once per call, before the kernel, into rows 64 bytes longer; inputs
/// shared by several contractions are copied once.
void cpu::padInputRows(IRRewriter &rewriter, linalg::GenericOp contraction,
                       llvm::DenseMap<Value, Value> &padded) {
  OpOperand *input = contraction.getDpsInputOperand(0);
  auto type = dyn_cast<RankedTensorType>(input->get().getType());
  if (!type || type.getRank() != 2 || !type.getElementType().isIntOrFloat() ||
      !isDimMap(contraction.getMatchingIndexingMap(input), {0, 2}))
    return;
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  int64_t elementBytes = type.getElementTypeBitWidth() / 8;
  constexpr int64_t kAliasStrideBytes = 2048, kPadBytes = 64;
  // Tiles of a few rows fit the cache's ways anyway.
  if (elementBytes == 0 || ShapedType::isDynamic(columns) ||
      (columns * elementBytes) % kAliasStrideBytes != 0 ||
      (!ShapedType::isDynamic(rows) && rows < 8))
    return;
  Value &copy = padded[input->get()];
  if (!copy) {
    rewriter.setInsertionPointAfterValue(input->get());
    Location loc = contraction.getLoc();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, input->get());
    SmallVector<OpFoldResult> paddedSizes = sizes;
    paddedSizes[1] = rewriter.getIndexAttr(columns + kPadBytes / elementBytes);
    Value buffer = tensor::EmptyOp::create(rewriter, loc, paddedSizes,
                                           type.getElementType());
    SmallVector<OpFoldResult> zeros(2, rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> ones(2, rewriter.getIndexAttr(1));
    Value rowsView = tensor::ExtractSliceOp::create(rewriter, loc, buffer,
                                                    zeros, sizes, ones);
    copy = linalg::CopyOp::create(rewriter, loc, input->get(), rowsView)
               .getResult(0);
  }
  rewriter.modifyOpInPlace(contraction, [&] { input->set(copy); });
}
