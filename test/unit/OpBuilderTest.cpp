//===- OpBuilderTest.cpp - building and folding qtensor ops from C++ ------===//

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::qtensor;

namespace {

/// Builds `func.func @f(%w: tensor<128x64xf32>, ...)` and hands the builder,
/// positioned in its body, to the test.
class OpBuilderTest : public ::testing::Test {
protected:
  OpBuilderTest() : builder(&context) {
    context.loadDialect<QTensorDialect, func::FuncDialect>();
    loc = builder.getUnknownLoc();
    module = ModuleOp::create(loc);
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// Creates a function with the given argument types and returns its body
  /// arguments; the builder is left inside the body.
  Block::BlockArgListType makeFunction(TypeRange argTypes) {
    auto func = func::FuncOp::create(builder, loc, "f",
                                     builder.getFunctionType(argTypes, {}));
    Block *body = func.addEntryBlock();
    builder.setInsertionPointToEnd(body);
    return body->getArguments();
  }

  MLIRContext context;
  OpBuilder builder;
  Location loc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module;
};

TEST_F(OpBuilderTest, DataAndScaleOfPackFoldToOperands) {
  auto type =
      QuantizedTensorType::get(&context, {128, 64}, builder.getI8Type(),
                               builder.getF32Type(), ScaleLayout::PerRow);
  auto args = makeFunction({type.getDataType(), type.getScaleType()});
  Value packed = PackOp::create(builder, loc, type, args[0], args[1]);
  EXPECT_EQ(builder.createOrFold<DataOp>(loc, type.getDataType(), packed),
            args[0]);
  EXPECT_EQ(builder.createOrFold<ScaleOp>(loc, type.getScaleType(), packed),
            args[1]);
}

TEST_F(OpBuilderTest, PackOfDataAndScaleFoldsToSource) {
  auto type =
      QuantizedTensorType::get(&context, {128, 64}, builder.getI8Type(),
                               builder.getF32Type(), ScaleLayout::PerRow);
  auto args = makeFunction({type});
  Value data = DataOp::create(builder, loc, type.getDataType(), args[0]);
  Value scale = ScaleOp::create(builder, loc, type.getScaleType(), args[0]);
  EXPECT_EQ(builder.createOrFold<PackOp>(loc, type, data, scale), args[0]);
}

TEST_F(OpBuilderTest, DoubleTransposeFoldsAway) {
  auto type =
      QuantizedTensorType::get(&context, {128, 64}, builder.getI8Type(),
                               builder.getF32Type(), ScaleLayout::PerRow);
  auto args = makeFunction({type});
  Value once =
      TransposeOp::create(builder, loc, *type.getTransposed(), args[0]);
  EXPECT_EQ(builder.createOrFold<TransposeOp>(loc, type, once), args[0]);
}

TEST_F(OpBuilderTest, LinearReportsItsWeightKind) {
  auto f32 = builder.getF32Type();
  auto input = RankedTensorType::get({4, 64}, f32);
  auto floatWeight = RankedTensorType::get({128, 64}, f32);
  auto quantWeight = QuantizedTensorType::get(
      &context, {128, 64}, builder.getI8Type(), f32, ScaleLayout::PerRow);
  auto result = RankedTensorType::get({4, 128}, f32);
  auto args = makeFunction({input, floatWeight, quantWeight});
  auto floatLinear =
      LinearOp::create(builder, loc, result, args[0], args[1], Value());
  auto quantLinear =
      LinearOp::create(builder, loc, result, args[0], args[2], Value());
  func::ReturnOp::create(builder, loc);
  EXPECT_FALSE(floatLinear.hasQuantizedWeight());
  EXPECT_TRUE(quantLinear.hasQuantizedWeight());
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(OpBuilderTest, VerifierRejectsMismatchedBuilderTypes) {
  auto f32 = builder.getF32Type();
  auto args =
      makeFunction({RankedTensorType::get({4, 64}, f32),
                    RankedTensorType::get({64, 8}, builder.getI8Type())});
  // The result claims 16 columns where the rhs has 8.
  MixedMmOp::create(builder, loc, RankedTensorType::get({4, 16}, f32), args[0],
                    args[1]);
  func::ReturnOp::create(builder, loc);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_EQ(message, "'qtensor.mixed_mm' op result must have type "
                     "'tensor<4x8xf32>' ([M, N] in the lhs element type), "
                     "got 'tensor<4x16xf32>'");
}

} // namespace
