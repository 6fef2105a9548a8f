//===- QTensorAttrs.cpp - qtensor attributes ------------------------------===//

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qtensor;

#define GET_ATTRDEF_CLASSES
#include "qtensor/Dialect/QTensorAttrs.cpp.inc"

void QTensorDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qtensor/Dialect/QTensorAttrs.cpp.inc"
      >();
}

LogicalResult
CpuKernelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      CpuKernelShape shape, int64_t tileM, int64_t tileN,
                      int64_t tileK, int64_t panelRows, int64_t remainderTileM,
                      int64_t columnChunk) {
  if (tileM <= 0 || tileN <= 0 || tileK <= 0)
    return emitError() << "tile sizes must be positive, got tile_m = " << tileM
                       << ", tile_n = " << tileN << ", tile_k = " << tileK;
  if (shape == CpuKernelShape::Gemv && tileM != 1)
    return emitError() << "a gemv kernel has one row per tile, got tile_m = "
                       << tileM;
  if (panelRows < 0 || columnChunk < 0)
    return emitError() << "panel_rows and column_chunk must not be negative";
  if (panelRows > 0 && shape != CpuKernelShape::RegisterTiled)
    return emitError() << "only a register_tiled kernel has weight panels";
  if (remainderTileM <= 0)
    return emitError() << "remainder_tile_m must be positive, got "
                       << remainderTileM;
  return success();
}
