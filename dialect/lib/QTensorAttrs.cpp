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
GpuKernelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      GpuKernelFamily family, std::optional<int64_t> maxRows,
                      int64_t vectorWidth, int64_t tileM, int64_t tileK,
                      int64_t columns, int64_t chunks) {
  if (maxRows && *maxRows < 0)
    return emitError() << "max_rows must be >= 0, got " << *maxRows;
  bool splitK = family == GpuKernelFamily::SplitK;
  bool tiled = family == GpuKernelFamily::Tiled;
  bool sharedTiled = family == GpuKernelFamily::SharedTiled;
  bool mma =
      family == GpuKernelFamily::Mma || family == GpuKernelFamily::MmaKSplit;
  // Each parameter: whether the family uses it, and then its valid values.
  struct Parameter {
    StringLiteral name;
    int64_t value;
    bool used;
    bool valid;
    StringLiteral expected;
  };
  auto isPowerOfTwoUpTo = [](int64_t value, int64_t max) {
    return value >= 1 && value <= max && llvm::isPowerOf2_64(value);
  };
  Parameter parameters[] = {
      {"vector_width", vectorWidth, splitK || tiled,
       isPowerOfTwoUpTo(vectorWidth, 16), "1, 2, 4, 8 or 16"},
      {"tile_m", tileM, tiled || sharedTiled, tileM >= 1 && tileM <= kMaxTileM,
       "in [1, 16]"},
      {"tile_k", tileK, sharedTiled,
       tileK >= 64 && isPowerOfTwoUpTo(tileK, 256), "64, 128 or 256"},
      {"columns", columns, splitK, columns >= 1 && columns <= kMaxColumns,
       "in [1, 4]"},
      {"chunks", chunks, mma, isPowerOfTwoUpTo(chunks, 4), "1, 2 or 4"}};
  for (const Parameter &parameter : parameters) {
    if (!parameter.used && parameter.value != 0)
      return emitError() << "'" << stringifyGpuKernelFamily(family)
                         << "' takes no " << parameter.name;
    if (parameter.used && !parameter.valid)
      return emitError() << "'" << stringifyGpuKernelFamily(family)
                         << "' needs " << parameter.name << " "
                         << parameter.expected << ", got " << parameter.value;
  }
  return success();
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
