//===- ExtractParameters.cpp - weights become entry-point parameters ------===//
//
// Weight-sized constants leave the code: each becomes a trailing argument of
// its public function and an entry of the module's parameter table, so the
// compiled code does not scale with the checkpoint and the runtime owns the
// buffers (loaded once, uploaded to a GPU once).
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSOREXTRACTPARAMETERS
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

class ExtractParametersPass
    : public mlir::qtensor::impl::QTensorExtractParametersBase<
          ExtractParametersPass> {
public:
  using Base::Base;

  void runOnOperation() override;

private:
  std::string nameParameter(arith::ConstantOp constant,
                            llvm::StringSet<> &taken);
};

} // namespace

std::string ExtractParametersPass::nameParameter(arith::ConstantOp constant,
                                                 llvm::StringSet<> &taken) {
  auto value = cast<ElementsAttr>(constant.getValue());
  std::string name = getConstantName(constant, value);
  if (auto given = constant->getAttrOfType<StringAttr>("qtensor.parameter"))
    name = given.str();
  // The two halves of a quantized weight are named after the weight; a
  // dense_resource key already says which half it is.
  if (!name.empty() && !isa<DenseResourceElementsAttr>(value) &&
      !constant->hasAttr("qtensor.parameter") && constant->hasOneUse()) {
    OpOperand &use = *constant->getUses().begin();
    if (auto pack = dyn_cast<PackOp>(use.getOwner()))
      name += use.getOperandNumber() == pack.getDataMutable().getOperandNumber()
                  ? ".data"
                  : ".scale";
  }
  if (name.empty())
    name = "param" + std::to_string(taken.size());
  std::string unique = name;
  for (int suffix = 1; taken.contains(unique); ++suffix)
    unique = name + "_" + std::to_string(suffix);
  taken.insert(unique);
  return unique;
}

void ExtractParametersPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *context = &getContext();
  Builder builder(context);
  SmallVector<Attribute> manifest;
  if (auto existing = module->getAttrOfType<ArrayAttr>("qtensor.parameters"))
    llvm::append_range(manifest, existing.getValue());
  llvm::StringSet<> taken;
  for (Attribute entry : manifest) {
    auto dict = dyn_cast<DictionaryAttr>(entry);
    auto name = dict ? dict.getAs<StringAttr>("name") : StringAttr();
    if (!name) {
      module.emitError("malformed qtensor.parameters entry ") << entry;
      return signalPassFailure();
    }
    taken.insert(name);
  }

  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isPrivate() || func.isExternal())
      continue;
    // Parameters in order of first use, which follows the model's layers.
    llvm::SetVector<Operation *> candidates;
    func.walk([&](arith::ConstantOp constant) {
      auto type = dyn_cast<RankedTensorType>(constant.getType());
      if (type && type.hasStaticShape() &&
          type.getNumElements() >= minElements &&
          isa<ElementsAttr>(constant.getValue()))
        candidates.insert(constant);
    });
    llvm::SetVector<Operation *> ordered;
    func.walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp())
          if (candidates.contains(def))
            ordered.insert(def);
    });
    SmallVector<arith::ConstantOp> constants;
    for (Operation *op : ordered)
      constants.push_back(cast<arith::ConstantOp>(op));
    if (constants.empty())
      continue;
    if (!SymbolTable::symbolKnownUseEmpty(func, module)) {
      func.emitError("cannot move constants into parameters of @")
          << func.getSymName()
          << ": it is called within the module, and its callers would need "
             "the new arguments";
      return signalPassFailure();
    }

    for (arith::ConstantOp constant : constants) {
      std::string name = nameParameter(constant, taken);
      unsigned index = func.getNumArguments();
      auto nameAttr = builder.getStringAttr(name);
      auto layout = constant->getAttrOfType<StringAttr>("qtensor.layout");
      if (!layout)
        layout = builder.getStringAttr("row_major");
      // Parameters are read-only: bufferization must not write into them.
      if (failed(func.insertArgument(
              index, constant.getType(),
              builder.getDictionaryAttr(
                  {builder.getNamedAttr("qtensor.parameter", nameAttr),
                   builder.getNamedAttr("bufferization.writable",
                                        builder.getBoolAttr(false))}),
              constant.getLoc())))
        return signalPassFailure();
      constant.replaceAllUsesWith(func.getArgument(index));
      manifest.push_back(builder.getDictionaryAttr({
          builder.getNamedAttr("name", nameAttr),
          builder.getNamedAttr("function", func.getSymNameAttr()),
          builder.getNamedAttr("argument", builder.getI64IntegerAttr(index)),
          builder.getNamedAttr("type", TypeAttr::get(constant.getType())),
          builder.getNamedAttr("layout", layout),
          builder.getNamedAttr("value", constant.getValue()),
      }));
      constant.erase();
    }
  }
  if (!manifest.empty())
    module->setAttr("qtensor.parameters", builder.getArrayAttr(manifest));
}
