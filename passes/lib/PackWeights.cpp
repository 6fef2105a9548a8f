//===- PackWeights.cpp - int8 weights in the layout the kernel reads ------===//
//
// The fused kernel's inner step reads one weight row of N values per k; with
// the weight stored [N, K] those values are K bytes apart. Constant weights
// are transposed to [K, N] here, once, at compile time.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORPACKWEIGHTS
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

class PackWeightsPass
    : public mlir::qtensor::impl::QTensorPackWeightsBase<PackWeightsPass> {
public:
  void runOnOperation() override;

private:
  /// The [K, N] constant for an [N, K] int8 constant, or null.
  Value pack(arith::ConstantOp constant);

  llvm::DenseMap<Operation *, Value> packed;
  unsigned unnamed = 0;
};

} // namespace

Value PackWeightsPass::pack(arith::ConstantOp constant) {
  if (Value existing = packed.lookup(constant))
    return existing;
  auto value = dyn_cast<ElementsAttr>(constant.getValue());
  auto type = dyn_cast<RankedTensorType>(constant.getType());
  if (!value || !type || !type.hasStaticShape() || type.getRank() != 2 ||
      !type.getElementType().isSignlessInteger(8))
    return {};
  SmallVector<char> storage;
  FailureOr<ArrayRef<char>> bytes = getRawElementBytes(value, storage);
  if (failed(bytes))
    return {};
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  SmallVector<char> transposed(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      transposed[c * rows + r] = (*bytes)[r * cols + c];

  std::string name = getConstantName(constant, value);
  if (name.empty())
    name = "packed" + std::to_string(unnamed++);
  auto packedType = RankedTensorType::get({cols, rows}, type.getElementType());
  auto attr = DenseResourceElementsAttr::get(
      packedType, name + ".packed",
      HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(transposed),
                                                    alignof(int64_t)));
  OpBuilder builder(constant);
  builder.setInsertionPointAfter(constant);
  auto result = arith::ConstantOp::create(builder, constant.getLoc(), attr);
  result->setAttr("qtensor.parameter", builder.getStringAttr(name));
  result->setAttr("qtensor.layout", builder.getStringAttr("transposed"));
  packed[constant] = result;
  return result;
}

void PackWeightsPass::runOnOperation() {
  packed.clear();
  unnamed = 0;
  SmallVector<Operation *> replaced;
  getOperation()->walk([&](FusedMixedMatmulOp op) {
    if (op.getWeightTransposed())
      return;
    auto constant = op.getWeightData().getDefiningOp<arith::ConstantOp>();
    if (!constant)
      return;
    Value weight = pack(constant);
    if (!weight)
      return;
    op.getWeightDataMutable().assign(weight);
    op.setWeightTransposed(true);
    replaced.push_back(constant);
  });
  for (Operation *constant : replaced)
    if (constant->use_empty())
      constant->erase();
}
