//===- FusedKernel.cpp - the fused int8 linear on buffers -----------------===//

#include "FusedKernel.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qtensor;

Type FusedKernel::getElementType() const {
  return cast<MemRefType>(input.getType()).getElementType();
}

int64_t FusedKernel::getStaticRows() const {
  return cast<MemRefType>(output.getType()).getDimSize(0);
}

static bool hasUnitInnerStride(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  return type.isLastDimUnitStride();
}

static bool isZeroFill(linalg::FillOp fill) {
  return matchPattern(fill.getDpsInputOperand(0)->get(), m_AnyZeroFloat());
}

/// Whether `buffer` holds zeros when `copy` reads it: a zero fill before
/// `copy` in its block, and nothing else but copies out of `buffer` before
/// `copy` (one kernel may use the buffer as its accumulator after the
/// copies).
static bool holdsZerosAt(Value buffer, memref::CopyOp copy) {
  // A buffer of this function: no caller or alias sees it.
  if (!buffer.getDefiningOp<memref::AllocOp>())
    return false;
  linalg::FillOp fill;
  for (Operation *user : buffer.getUsers())
    if (auto zeroing = dyn_cast<linalg::FillOp>(user);
        zeroing && !fill && isZeroFill(zeroing))
      fill = zeroing;
  if (!fill || fill->getBlock() != copy->getBlock() ||
      !fill->isBeforeInBlock(copy))
    return false;
  return llvm::all_of(buffer.getUsers(), [&](Operation *user) {
    if (user == fill || isa<memref::DimOp>(user))
      return true;
    if (user->getBlock() != copy->getBlock())
      return false;
    auto other = dyn_cast<memref::CopyOp>(user);
    return (other && other.getSource() == buffer) || user == copy ||
           copy->isBeforeInBlock(user);
  });
}

bool mlir::qtensor::isWeightConversionInto(linalg::GenericOp generic,
                                           Value buffer) {
  return generic->hasAttr(kWeightConvertAttr) &&
         generic.getNumDpsInits() == 1 &&
         generic.getDpsInitOperand(0)->get() == buffer;
}

std::optional<FusedKernel>
mlir::qtensor::matchFusedKernel(linalg::GenericOp epilogue) {
  if (!epilogue->hasAttr(kEpilogueAttr) || !epilogue.hasPureBufferSemantics() ||
      epilogue.getNumDpsInits() != 1 || epilogue.getNumLoops() != 2 ||
      epilogue.getNumReductionLoops() != 0 || epilogue.getNumDpsInputs() < 1)
    return std::nullopt;
  SmallVector<AffineMap> epilogueMaps = epilogue.getIndexingMapsArray();
  if (!isDimMap(epilogueMaps.front(), {0, 1}) ||
      !isDimMap(epilogueMaps.back(), {0, 1}))
    return std::nullopt;
  // The other inputs (scale, bias) are read at dims or constants only.
  for (AffineMap map : ArrayRef(epilogueMaps).drop_front().drop_back())
    for (AffineExpr expr : map.getResults())
      if (!isa<AffineDimExpr, AffineConstantExpr>(expr))
        return std::nullopt;
  // The body reads no output element.
  Block &body = epilogue.getRegion().front();
  if (!body.getArguments().back().use_empty())
    return std::nullopt;

  FusedKernel kernel;
  kernel.epilogue = epilogue;
  kernel.output = epilogue.getDpsInitOperand(0)->get();
  Value acc = epilogue.getDpsInputOperand(0)->get();
  for (Operation *user : acc.getUsers()) {
    if (auto fill = dyn_cast<linalg::FillOp>(user);
        fill && fill.getDpsInitOperand(0)->get() == acc && isZeroFill(fill))
      kernel.init = fill;
    if (auto copy = dyn_cast<memref::CopyOp>(user);
        copy && copy.getTarget() == acc && holdsZerosAt(copy.getSource(), copy))
      kernel.init = copy;
    if (auto generic = dyn_cast<linalg::GenericOp>(user);
        generic && generic != epilogue && generic.getNumDpsInits() == 1 &&
        generic.getDpsInitOperand(0)->get() == acc &&
        generic.getNumReductionLoops() == 1)
      kernel.contraction = generic;
  }
  if (!kernel.init || !kernel.contraction)
    return std::nullopt;
  linalg::GenericOp contraction = kernel.contraction;
  SmallVector<AffineMap> maps = contraction.getIndexingMapsArray();
  if (contraction.getNumDpsInputs() != 2 || contraction.getNumLoops() != 3 ||
      contraction.getNumReductionLoops() != 1 ||
      contraction.getIteratorTypesArray()[2] !=
          utils::IteratorType::reduction ||
      !isDimMap(maps[0], {0, 2}) || !isDimMap(maps[1], {1, 2}) ||
      !isDimMap(maps[2], {0, 1}))
    return std::nullopt;
  // The zeroing, the contraction and the epilogue run in this order, next
  // to each other as far as the accumulator is concerned.
  if (kernel.init->getBlock() != epilogue->getBlock() ||
      contraction->getBlock() != epilogue->getBlock() ||
      !kernel.init->isBeforeInBlock(contraction) ||
      !contraction->isBeforeInBlock(epilogue))
    return std::nullopt;
  // Bufferization usually writes the epilogue in place: then the
  // accumulator is the output, and later ops read it.
  // Shape queries read no element (canonicalization folds them away).
  // Copies of the zeros out of a zero-filled accumulator that other
  // kernels share come between the fill and the contraction.
  auto isCopyOfZeros = [&](Operation *user) {
    auto copy = dyn_cast<memref::CopyOp>(user);
    return copy && isa<linalg::FillOp>(kernel.init) &&
           copy.getSource() == acc &&
           user->getBlock() == contraction->getBlock() &&
           kernel.init->isBeforeInBlock(user) &&
           user->isBeforeInBlock(contraction);
  };
  for (Operation *user : acc.getUsers())
    if (user != kernel.init && user != contraction && user != epilogue &&
        !isa<memref::DimOp>(user) && !isCopyOfZeros(user) &&
        !(acc == kernel.output && user->getBlock() == epilogue->getBlock() &&
          epilogue->isBeforeInBlock(user)))
      return std::nullopt;

  kernel.input = contraction.getDpsInputOperand(0)->get();
  Value converted = contraction.getDpsInputOperand(1)->get();
  // Bufferization may convert several weights of one shape into one
  // buffer, one after the other: the contraction reads the last conversion
  // before it.
  // Only conversions write it; everything else reads it.
  if (!converted.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  for (Operation *user : converted.getUsers()) {
    if (isa<memref::DimOp>(user))
      continue;
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic)
      return std::nullopt;
    if (!isWeightConversionInto(generic, converted)) {
      if (llvm::is_contained(generic.getDpsInits(), converted))
        return std::nullopt;
      continue;
    }
    if (generic->getBlock() != contraction->getBlock())
      return std::nullopt;
    if (generic->isBeforeInBlock(contraction) &&
        (!kernel.convert || kernel.convert->isBeforeInBlock(generic)))
      kernel.convert = generic;
  }
  if (!kernel.convert || kernel.convert.getNumDpsInputs() != 1)
    return std::nullopt;
  kernel.weight = kernel.convert.getDpsInputOperand(0)->get();

  auto inputType = cast<MemRefType>(kernel.input.getType());
  auto weightType = cast<MemRefType>(kernel.weight.getType());
  auto outputType = cast<MemRefType>(kernel.output.getType());
  // f32, f16 or bf16 activations; the kernels accumulate in f32 either way.
  Type elementType = inputType.getElementType();
  if (!(elementType.isF32() || elementType.isF16() || elementType.isBF16()) ||
      outputType.getElementType() != elementType ||
      !weightType.getElementType().isInteger(8) ||
      !weightType.hasStaticShape() || !inputType.hasRank() ||
      inputType.getRank() != 2 ||
      ShapedType::isDynamic(inputType.getDimSize(1)))
    return std::nullopt;
  if (!hasUnitInnerStride(kernel.input) || !hasUnitInnerStride(kernel.weight))
    return std::nullopt;
  kernel.n = weightType.getDimSize(0);
  kernel.k = weightType.getDimSize(1);
  return kernel;
}

std::string mlir::qtensor::getKernelStem(const FusedKernel &kernel,
                                         unsigned index) {
  std::string name;
  if (auto arg = dyn_cast<BlockArgument>(kernel.weight))
    if (auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
      if (auto attr = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        "qtensor.parameter"))
        name = attr.getValue().str();
  StringRef stem(name);
  stem.consume_back(".data");
  if (stem.empty())
    return "linear" + std::to_string(index);
  // A PTX identifier: a letter first (nn.Sequential names weights "0.weight").
  std::string identifier = llvm::isAlpha(stem.front()) ? "" : "linear_";
  for (char c : stem)
    identifier.push_back(llvm::isAlnum(c) ? c : '_');
  return identifier;
}
