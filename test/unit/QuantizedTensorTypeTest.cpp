//===- QuantizedTensorTypeTest.cpp - C++ API of the quantized type --------===//
//
// What the textual IR cannot reach: the C++ accessors that passes use to
// derive data/scale types, transposition, and getChecked diagnostics.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::qtensor;

namespace {

class QuantizedTensorTypeTest : public ::testing::Test {
protected:
  QuantizedTensorTypeTest() { context.loadDialect<QTensorDialect>(); }

  QuantizedTensorType get(ArrayRef<int64_t> shape, ScaleLayout layout,
                          int64_t groupSize = 0) {
    return QuantizedTensorType::get(&context, shape, i8(), f32(), layout,
                                    groupSize);
  }

  /// Returns the diagnostic getChecked emits for these parameters, or "" if
  /// the type is valid.
  std::string checkedError(ArrayRef<int64_t> shape, Type storage,
                           Type expressed, ScaleLayout layout,
                           int64_t groupSize = 0) {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      message = diag.str();
      return success();
    });
    QuantizedTensorType type = QuantizedTensorType::getChecked(
        [&] { return emitError(UnknownLoc::get(&context)); }, &context, shape,
        storage, expressed, layout, groupSize);
    EXPECT_EQ(static_cast<bool>(type), message.empty()) << message;
    return message;
  }

  Type i8() { return IntegerType::get(&context, 8); }
  Type f32() { return Float32Type::get(&context); }

  MLIRContext context;
};

TEST_F(QuantizedTensorTypeTest, ScaleShapeFollowsLayout) {
  using Shape = SmallVector<int64_t>;
  EXPECT_EQ(get({128, 64}, ScaleLayout::PerRow).getScaleShape(),
            Shape({128, 1}));
  EXPECT_EQ(get({64, 128}, ScaleLayout::PerColumn).getScaleShape(),
            Shape({1, 128}));
  EXPECT_EQ(get({64, 128}, ScaleLayout::PerTensor).getScaleShape(),
            Shape({1, 1}));
  EXPECT_EQ(get({64, 128}, ScaleLayout::PerGroup, 32).getScaleShape(),
            Shape({64, 4}));
  EXPECT_EQ(
      get({ShapedType::kDynamic, 64}, ScaleLayout::PerRow).getScaleShape(),
      Shape({ShapedType::kDynamic, 1}));
}

TEST_F(QuantizedTensorTypeTest, DataAndScaleTypes) {
  QuantizedTensorType type = get({128, 64}, ScaleLayout::PerRow);
  EXPECT_EQ(type.getDataType(), RankedTensorType::get({128, 64}, i8()));
  EXPECT_EQ(type.getScaleType(), RankedTensorType::get({128, 1}, f32()));
  EXPECT_EQ(type.getExpressedTensorType(),
            RankedTensorType::get({128, 64}, f32()));
}

TEST_F(QuantizedTensorTypeTest, TransposeSwapsRowAndColumnScales) {
  QuantizedTensorType rows = get({128, 64}, ScaleLayout::PerRow);
  FailureOr<QuantizedTensorType> columns = rows.getTransposed();
  ASSERT_TRUE(succeeded(columns));
  EXPECT_EQ(*columns, get({64, 128}, ScaleLayout::PerColumn));
  FailureOr<QuantizedTensorType> back = columns->getTransposed();
  ASSERT_TRUE(succeeded(back));
  EXPECT_EQ(*back, rows);

  QuantizedTensorType whole = get({128, 64}, ScaleLayout::PerTensor);
  EXPECT_EQ(*whole.getTransposed(), get({64, 128}, ScaleLayout::PerTensor));
}

TEST_F(QuantizedTensorTypeTest, TransposeFailsWhereNotExpressible) {
  EXPECT_TRUE(
      failed(get({64, 128}, ScaleLayout::PerGroup, 32).getTransposed()));
  EXPECT_TRUE(failed(
      get({ShapedType::kDynamic, 128}, ScaleLayout::PerRow).getTransposed()));
}

TEST_F(QuantizedTensorTypeTest, GetCheckedAcceptsEveryDocumentedForm) {
  Type i4 = IntegerType::get(&context, 4);
  EXPECT_EQ(checkedError({128, 64}, i8(), f32(), ScaleLayout::PerRow), "");
  EXPECT_EQ(checkedError({ShapedType::kDynamic, 64}, i4,
                         BFloat16Type::get(&context), ScaleLayout::PerGroup,
                         16),
            "");
  EXPECT_EQ(checkedError({8, 8}, i8(), Float16Type::get(&context),
                         ScaleLayout::PerTensor),
            "");
}

TEST_F(QuantizedTensorTypeTest, GetCheckedRejectsBadParameters) {
  EXPECT_EQ(checkedError({4, 4, 4}, i8(), f32(), ScaleLayout::PerRow),
            "quantized tensor must have rank 2, got rank 3");
  EXPECT_EQ(
      checkedError({4, ShapedType::kDynamic}, i8(), f32(), ScaleLayout::PerRow),
      "only the leading dimension of a quantized tensor may be "
      "dynamic, got '?' in dimension 1");
  EXPECT_EQ(checkedError({4, 4}, IntegerType::get(&context, 16), f32(),
                         ScaleLayout::PerRow),
            "storage type must be i8 or i4, got 'i16'");
  EXPECT_EQ(checkedError({4, 4}, i8(), Float64Type::get(&context),
                         ScaleLayout::PerRow),
            "expressed type must be f32, f16 or bf16, got 'f64'");
  EXPECT_EQ(checkedError({4, 6}, i8(), f32(), ScaleLayout::PerGroup, 4),
            "per_group group size 4 must divide dimension 1 (6)");
  EXPECT_EQ(checkedError({4, 8}, i8(), f32(), ScaleLayout::PerGroup, 0),
            "per_group group size must be positive, got 0");
  EXPECT_EQ(checkedError({4, 8}, i8(), f32(), ScaleLayout::PerRow, 4),
            "group size 4 given for layout per_row, which has no groups");
}

TEST_F(QuantizedTensorTypeTest, PrintedFormParsesBack) {
  for (QuantizedTensorType type :
       {get({128, 64}, ScaleLayout::PerRow),
        get({ShapedType::kDynamic, 64}, ScaleLayout::PerColumn),
        get({64, 128}, ScaleLayout::PerGroup, 32)}) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << Type(type);
    EXPECT_EQ(parseType(text, &context), type) << text;
  }
}

} // namespace
