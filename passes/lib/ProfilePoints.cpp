//===- ProfilePoints.cpp - per-op timing of entry points ------------------===//
//
// The op profile (CompileOptions::profile): qtensor-tag-profile-ops names
// the linalg ops that become linears and attention products, before
// tiling; qtensor-insert-profile-points times the top-level ops of each
// entry point, after it. See the pass descriptions in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Path.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORTAGPROFILEOPS
#define GEN_PASS_DEF_QTENSORINSERTPROFILEPOINTS
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

constexpr llvm::StringLiteral kTagPrefix = "qtensor.profile:";
constexpr llvm::StringLiteral kCountersName = "qtensor_profile_counters";
constexpr llvm::StringLiteral kPointFunction = "qtensorProfilePoint";

/// Where an op comes from, for the profile: "MODULE FILE:LINE" with the
/// importer's module path (a FusedLoc's metadata, "layers.0.attention")
/// and the op's own position (the last file location: the importer puts
/// the user's calling line first), as much of it as `loc` holds.
std::string sourceLocation(Location loc) {
  std::string module, position;
  loc->walk([&](Location inner) {
    if (auto fused = dyn_cast<FusedLoc>(inner))
      if (auto path = dyn_cast_or_null<StringAttr>(fused.getMetadata()))
        module = path.str();
    if (auto file = dyn_cast<FileLineColLoc>(inner))
      position = (llvm::sys::path::filename(file.getFilename().getValue()) +
                  ":" + Twine(file.getLine()))
                     .str();
    return WalkResult::advance();
  });
  if (module.empty() || position.empty())
    return module + position;
  return module + " " + position;
}

/// The "CATEGORY:NAME" that qtensor-tag-profile-ops recorded in `loc`.
std::optional<std::string> profileTag(Location loc) {
  std::optional<std::string> tag;
  loc->walk([&](Location inner) {
    auto name = dyn_cast<NameLoc>(inner);
    if (!name || !name.getName().getValue().starts_with(kTagPrefix))
      return WalkResult::advance();
    tag = name.getName().getValue().drop_front(kTagPrefix.size()).str();
    return WalkResult::interrupt();
  });
  return tag;
}

/// True for a linalg op with a reduction loop over two inputs.
bool isContraction(linalg::LinalgOp op) {
  return op.getNumDpsInputs() == 2 && op.getNumReductionLoops() > 0;
}

class TagProfileOpsPass
    : public mlir::qtensor::impl::QTensorTagProfileOpsBase<TagProfileOpsPass> {
public:
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // (function, argument) -> the weight's name, from the parameter list.
    llvm::StringMap<llvm::DenseMap<int64_t, std::string>> weights;
    if (auto list = module->getAttrOfType<ArrayAttr>("qtensor.parameters"))
      for (auto entry : list.getAsRange<DictionaryAttr>()) {
        auto function = entry.getAs<StringAttr>("function");
        auto argument = entry.getAs<IntegerAttr>("argument");
        auto name = entry.getAs<StringAttr>("name");
        if (function && argument && name)
          weights[function.getValue()][argument.getInt()] =
              name.getValue().str();
      }
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      llvm::DenseMap<int64_t, std::string> names =
          weights.lookup(func.getName());
      for (Operation &op : func.getBody().front()) {
        auto linalgOp = dyn_cast<linalg::LinalgOp>(&op);
        if (!linalgOp)
          continue;
        std::optional<std::string> tag;
        if (isContraction(linalgOp))
          tag = contractionTag(linalgOp, names);
        else if (op.hasAttr("qtensor.epilogue"))
          if (auto producer = linalgOp.getDpsInputOperand(0)
                                  ->get()
                                  .getDefiningOp<linalg::LinalgOp>())
            if (isContraction(producer))
              tag = contractionTag(producer, names);
        if (tag)
          op.setLoc(NameLoc::get(
              StringAttr::get(&getContext(), kTagPrefix + *tag), op.getLoc()));
      }
    }
  }

private:
  /// "linear:WEIGHT" when an input is a weight, else
  /// "attention:MODULE FILE:LINE".
  static std::string
  contractionTag(linalg::LinalgOp contraction,
                 const llvm::DenseMap<int64_t, std::string> &names) {
    for (OpOperand *input : contraction.getDpsInputOperands())
      if (std::optional<std::string> weight = weightName(input->get(), names))
        return "linear:" + *weight;
    return "attention:" + sourceLocation(contraction->getLoc());
  }

  /// The parameter `value` reads, through int8 conversions, reshapes,
  /// transposes and casts.
  static std::optional<std::string>
  weightName(Value value, const llvm::DenseMap<int64_t, std::string> &names) {
    while (Operation *producer = value.getDefiningOp()) {
      if (auto generic = dyn_cast<linalg::GenericOp>(producer);
          generic && generic->hasAttr("qtensor.weight_convert"))
        value = generic.getDpsInputOperand(0)->get();
      else if (auto transpose = dyn_cast<linalg::TransposeOp>(producer))
        value = transpose.getInput();
      else if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                   tensor::CastOp>(producer))
        value = producer->getOperand(0);
      else
        return std::nullopt;
    }
    auto argument = dyn_cast<BlockArgument>(value);
    if (!argument)
      return std::nullopt;
    auto found = names.find(argument.getArgNumber());
    if (found == names.end())
      return std::nullopt;
    // An int8 weight's data is "NAME.data" (its scale "NAME.scale").
    StringRef name = found->second;
    name.consume_back(".data");
    return name.str();
  }
};

/// True for the top-level ops that take time: loops and other ops with
/// regions, linalg ops, and the tensor ops that copy.
bool doesWork(Operation &op) {
  return op.getNumRegions() > 0 || isa<linalg::LinalgOp, tensor::InsertSliceOp,
                                       tensor::PadOp, tensor::ConcatOp>(op);
}

/// An untagged op's name in the profile: its source location, else its
/// operation name.
std::string where(Operation &op) {
  std::string location = sourceLocation(op.getLoc());
  return location.empty() ? op.getName().getStringRef().str() : location;
}

class InsertProfilePointsPass
    : public mlir::qtensor::impl::QTensorInsertProfilePointsBase<
          InsertProfilePointsPass> {
public:
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    OpBuilder builder(context);
    Type i64 = builder.getI64Type();
    auto pointer = LLVM::LLVMPointerType::get(context);
    auto pointType = builder.getFunctionType({pointer, i64}, {});

    // "CATEGORY:NAME" -> id, in order of first appearance.
    llvm::StringMap<int64_t> ids;
    SmallVector<std::pair<std::string, std::string>> points;
    auto idOf = [&](const std::string &tag) {
      auto [it, inserted] = ids.try_emplace(tag, points.size());
      if (inserted) {
        size_t colon = tag.find(':');
        points.emplace_back(tag.substr(0, colon), tag.substr(colon + 1));
      }
      return it->second;
    };

    SmallVector<func::FuncOp> entries;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal() && func.isPublic())
        entries.push_back(func);
    for (func::FuncOp func : entries) {
      Block &body = func.getBody().front();
      builder.setInsertionPointToStart(&body);
      Value counters = LLVM::AddressOfOp::create(
          builder, func.getLoc(), pointer,
          FlatSymbolRefAttr::get(context, kCountersName));
      auto point = [&](Operation *before, int64_t id) {
        builder.setInsertionPoint(before);
        Value index =
            arith::ConstantIntOp::create(builder, before->getLoc(), i64, id);
        func::CallOp::create(builder, before->getLoc(), kPointFunction,
                             TypeRange{}, ValueRange{counters, index});
      };
      std::string previous;
      for (Operation &op : llvm::make_early_inc_range(body)) {
        if (isa<func::ReturnOp>(op)) {
          point(&op, -1);
          previous.clear();
          continue;
        }
        if (!doesWork(op))
          continue;
        std::string tag =
            profileTag(op.getLoc()).value_or("other:" + where(op));
        if (tag == previous)
          continue;
        previous = tag;
        point(&op, idOf(tag));
      }
    }

    builder.setInsertionPointToStart(module.getBody());
    Location loc = module.getLoc();
    if (!module.lookupSymbol(kPointFunction)) {
      auto declaration =
          func::FuncOp::create(builder, loc, kPointFunction, pointType);
      declaration.setPrivate();
    }
    int64_t count = std::max<int64_t>(2 * points.size(), 1);
    auto zeros = DenseElementsAttr::get(RankedTensorType::get({count}, i64),
                                        builder.getI64IntegerAttr(0));
    LLVM::GlobalOp::create(builder, loc, LLVM::LLVMArrayType::get(i64, count),
                           /*isConstant=*/false, LLVM::Linkage::External,
                           kCountersName, zeros);
    SmallVector<Attribute> list;
    for (auto &[category, name] : points)
      list.push_back(builder.getDictionaryAttr(
          {builder.getNamedAttr("category", builder.getStringAttr(category)),
           builder.getNamedAttr("name", builder.getStringAttr(name))}));
    module->setAttr("qtensor.profile_points", builder.getArrayAttr(list));
  }
};

} // namespace
