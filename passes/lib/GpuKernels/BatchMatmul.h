//===- BatchMatmul.h - register-tiled float matmuls on the GPU --*- C++ -*-===//
//
// The float matmuls outside the fused linears (attention's scores and
// weighted sums, linalg.batch_matmul and linalg.matmul) as a tiled kernel:
// each thread accumulates a 4 x 4 tile of outputs, so each loaded element
// of A and B serves four products, instead of one thread per output
// element reading a row and a column.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_GPUKERNELS_BATCHMATMUL_H
#define QTENSOR_PASSES_GPUKERNELS_BATCHMATMUL_H

#include "GridEmitter.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir {
namespace qtensor {

/// Whether `op` is a linalg.matmul or linalg.batch_matmul on buffers with
/// the default (untransposed, unbroadcast) indexing maps, an f32 result and
/// f32, f16 or bf16 operands.
bool isTiledMatmulCandidate(linalg::LinalgOp op);

/// Emits the tiled kernel of one matmul (C += A B, per batch) and erases
/// the op.
class BatchMatmulEmitter : public GridEmitter {
public:
  BatchMatmulEmitter(OpBuilder &builder, linalg::LinalgOp op, bool emulate,
                     std::string stem);
  void emit();

private:
  /// The operands' indices for batch `batch` (none for a 2-D matmul).
  SmallVector<Value> at(Value batch, Value row, Value column);
  Value clamp(Value index, Value size);
  /// matrix[indices] as f32 (half-precision operands widen exactly).
  Value load(Value matrix, ValueRange indices);

  linalg::LinalgOp op;
  Value a, bMatrix, c;
  bool batched;
  Value batches, m, n, k;
};

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_GPUKERNELS_BATCHMATMUL_H
