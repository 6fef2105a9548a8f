//===- CpuKernels.h - emitters of the CPU kernel shapes ---------*- C++ -*-===//
//
// Private to qtensor-tile-and-vectorize and qtensor-configure-cpu-kernels:
// the tile-and-fuse helpers the kernel shapes share, and one emitter per
// shape (register tiles, weight panels, the GEMV form of one-row tiles).
// Each emitter does what a #qtensor.cpu_kernel says; none decides.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_LIB_CPUKERNELS_CPUKERNELS_H
#define QTENSOR_PASSES_LIB_CPUKERNELS_CPUKERNELS_H

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir {
namespace qtensor {
namespace cpu {

//===----------------------------------------------------------------------===//
// Tiling.cpp: tile and fuse, shared by every shape
//===----------------------------------------------------------------------===//

/// Marks the float weight panel of a column tile (its scf.if and the
/// conversion inside it).
inline constexpr llvm::StringLiteral kWeightPanelAttr = "qtensor.weight_panel";

/// True for the int8 -> float conversion of a weight (kWeightConvertAttr):
/// converting a tile again is cheaper than storing the whole weight in
/// float, so tiles fuse it.
bool isWeightConversion(Value value);

/// Tiles `root` and fuses its producers; replaces and erases `root` and the
/// producers left dead. Producers read across a reduction stay outside the
/// tiles (they would be recomputed per tile), weight conversions excepted;
/// with `onlyWeightConversions` (the K loop), only weight conversions are
/// fused, so each step converts just the weights it multiplies.
FailureOr<scf::SCFTileAndFuseResult>
tileAndFuse(IRRewriter &rewriter, linalg::GenericOp root,
            const scf::SCFTilingOptions &tiling,
            bool onlyWeightConversions = false);

/// Peels the last, partial iteration off each scf.for of `loops`, in order,
/// so that the main iterations have static tile sizes and vectorize without
/// masks; appends the partial iterations' loops to `partials`.
void peelPartialIterations(IRRewriter &rewriter,
                           ArrayRef<LoopLikeOpInterface> loops,
                           SmallVectorImpl<scf::ForOp> &partials);

/// The contraction producing the first input of `root` (a kernel's
/// epilogue) when it reads a converted int8 weight in torch's [N, K] layout.
linalg::GenericOp findWeightContraction(linalg::GenericOp root);

/// The tiled consumer of a tile-and-fuse in `scope`: its 2-D elementwise
/// generic that is not a weight conversion.
linalg::GenericOp findTiledRoot(Operation *scope);

/// Makes `contraction` read its weights from `weights`, indexed by the
/// iteration dimensions `dims` ((n, k) for [N, K], (k, n) for [K, N]).
void setWeightOperand(IRRewriter &rewriter, linalg::GenericOp contraction,
                      Value weights, ArrayRef<unsigned> dims);

/// Splits the columns of `root` into an scf.forall of chunks of `chunk`
/// columns and returns the root inside it.
FailureOr<linalg::GenericOp>
splitColumns(IRRewriter &rewriter, linalg::GenericOp root, int64_t chunk);

//===----------------------------------------------------------------------===//
// PadInputRows.cpp
//===----------------------------------------------------------------------===//

/// Copies the input rows of `contraction` into rows 64 bytes longer when
/// their stride is a multiple of 2 KiB; `padded` holds the copies made so
/// far, so an input shared by several contractions is copied once.
void padInputRows(IRRewriter &rewriter, linalg::GenericOp contraction,
                  llvm::DenseMap<Value, Value> &padded);

//===----------------------------------------------------------------------===//
// RegisterTiles.cpp: gemv, small_m and register_tiled kernels
//===----------------------------------------------------------------------===//

/// Tiles `root` into tile_m x tile_n tiles with their producers fused.
/// Returns the outermost loop (null when there is none) and appends the
/// peeled, partial M and N loops to `partials`.
FailureOr<Operation *> tileRegisterTiles(IRRewriter &rewriter,
                                         linalg::GenericOp root,
                                         CpuKernelAttr config,
                                         SmallVectorImpl<scf::ForOp> &partials);

/// Tiles the rows that the partial loops `partials` leave after the last
/// full tile `remainderTileM` rows at a time (when more than one), then one
/// at a time.
LogicalResult tileRemainderRows(IRRewriter &rewriter,
                                ArrayRef<scf::ForOp> partials,
                                int64_t remainderTileM);

/// Walks K in steps of `tileK` in every contraction of `nest` and
/// `partials`, converting the weights of each step inside the loop; one-row
/// tiles take the GEMV form instead.
LogicalResult tileReductions(IRRewriter &rewriter, Operation *nest,
                             ArrayRef<scf::ForOp> partials, int64_t tileK);

//===----------------------------------------------------------------------===//
// WeightPanels.cpp: register_tiled kernels with panel_rows
//===----------------------------------------------------------------------===//

/// Tiles `root` into blocks of panel_rows rows, then tile_n columns, then
/// register tiles of tile_m rows, converting each column tile's weights
/// once per block into a float panel the register tiles share. Returns the
/// outermost loop and appends the peeled, partial row loops to `partials`.
FailureOr<Operation *>
tileWithWeightPanels(IRRewriter &rewriter, linalg::GenericOp root,
                     CpuKernelAttr config,
                     SmallVectorImpl<scf::ForOp> &partials);

/// The int8 [n, K] weights behind a column tile's float panel, or null.
Value findPanelWeights(Value rhs);

/// Makes a register tile smaller than the panel's minimum read the int8
/// weights behind the panel again, converted per K step as without panels.
void readWeightsUnpacked(IRRewriter &rewriter, linalg::GenericOp contraction);

//===----------------------------------------------------------------------===//
// Gemv.cpp: one-row tiles
//===----------------------------------------------------------------------===//

/// Rewrites a one-row contraction into its GEMV form with `lanes` partial
/// sums per column. Returns false, leaving the IR untouched, for
/// contractions of another form.
FailureOr<bool> rewriteRowAsGemv(IRRewriter &rewriter,
                                 linalg::GenericOp contraction, int64_t lanes);

//===----------------------------------------------------------------------===//
// VectorTiles.cpp: the ops outside the fused kernels
//===----------------------------------------------------------------------===//

/// True when `op` reads or writes an i1 tensor. Such ops stay scalar: a
/// memref of i1 holds a byte per element, a vector of i1 loads bits.
bool hasBoolOperand(linalg::LinalgOp op);

/// Splits `op` into an scf.forall of `parallelTiles` chunks (one size per
/// loop, 0 for loops not split; none when empty), then tiles each chunk by
/// `tileSizes`, one per loop, and peels the partial tiles; a chunk that is
/// one tile is vectorized in place, the tiles are vectorized with the
/// kernels' tiles.
LogicalResult tileForVectors(IRRewriter &rewriter, linalg::LinalgOp op,
                             ArrayRef<int64_t> tileSizes,
                             ArrayRef<int64_t> parallelTiles = {});

} // namespace cpu
} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_LIB_CPUKERNELS_CPUKERNELS_H
