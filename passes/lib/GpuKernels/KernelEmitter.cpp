//===- KernelEmitter.cpp - what the GPU kernel families share -------------===//
//
// The IR-building helpers of every GPU kernel emitter: the grid, the
// batch-size dispatch, the int8 -> float conversions without conversion
// instructions, the fmas and the epilogue store.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::qtensor;

/// The bits of the f32 2^23: an integer u < 2^23 in its low mantissa bits
/// makes the float 2^23 + u.
static constexpr int32_t kFloatTwoPow23Bits = 0x4B000000;
/// The high byte of the f16 1024 (0x6400): an integer u < 1024 in its low
/// mantissa bits makes the half 1024 + u.
static constexpr int8_t kHalf1024High = 0x64;

KernelEmitter::KernelEmitter(OpBuilder &builder, Location loc,
                             const FusedKernel &kernel, bool emulate,
                             std::string stem)
    : GridEmitter(builder, loc, emulate, std::move(stem)), kernel(kernel),
      elementType(kernel.getElementType()) {
  rows = memref::DimOp::create(b, loc, kernel.output, 0);
}

void KernelEmitter::emitByBatchSize(int64_t maxRows, function_ref<void()> small,
                                    function_ref<void()> large) {
  int64_t staticRows = kernel.getStaticRows();
  if (!ShapedType::isDynamic(staticRows))
    return staticRows <= maxRows ? small() : large();
  Value fits = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, rows,
                                     constant(maxRows));
  scf::IfOp::create(
      b, loc, fits,
      [&](OpBuilder &, Location) {
        small();
        scf::YieldOp::create(b, loc);
      },
      [&](OpBuilder &, Location) {
        large();
        scf::YieldOp::create(b, loc);
      });
}

Value KernelEmitter::zeroVector(VectorType type) {
  return arith::ConstantOp::create(b, loc, type,
                                   DenseElementsAttr::get(type, 0.0f));
}

Value KernelEmitter::rowBlocks(int64_t blockRows) {
  return ceilDiv(rows, blockRows);
}

/// Each weight slice is loaded and converted once for all rows, each
/// activation slice once for all columns.
SmallVector<Value> KernelEmitter::emitPartialSums(int64_t width,
                                                  ValueRange rowIndices,
                                                  ValueRange columns,
                                                  Value lower, int64_t step,
                                                  ValueRange initialSums) {
  auto accType = VectorType::get({width}, b.getF32Type());
  SmallVector<Value> inits(initialSums);
  if (inits.empty())
    inits.assign(rowIndices.size() * columns.size(), zeroVector(accType));
  int64_t inputAlign = getInputAlignment(width);
  auto loop = scf::ForOp::create(
      b, loc, lower, constant(kernel.k), constant(step), inits,
      [&](OpBuilder &nb, Location, Value k, ValueRange accs) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> weights;
        for (Value column : columns)
          weights.push_back(loadWeightSlice(column, k, width));
        scf::YieldOp::create(
            b, loc, emitFmas(weights, rowIndices, k, accs, inputAlign));
      });
  return SmallVector<Value>(loop.getResults());
}

Value KernelEmitter::loadWeightSlice(Value column, Value k, int64_t width) {
  return vector::LoadOp::create(b, loc, VectorType::get({width}, b.getI8Type()),
                                kernel.weight, ValueRange{column, k},
                                /*nontemporal=*/false, llvm::MaybeAlign(width));
}

/// w ^ 0x80 for an int8 vector: w + 128 as an unsigned byte.
Value KernelEmitter::biasInt8(Value weight) {
  auto bytesType = cast<VectorType>(weight.getType());
  return arith::XOrIOp::create(
      b, loc, weight,
      arith::ConstantOp::create(
          b, loc, bytesType,
          DenseElementsAttr::get(bytesType, b.getI8IntegerAttr(-128))));
}

/// The floats whose elements are each byte of `biased` (w ^ 0x80)
/// followed by the bytes `fromExponent` of the constant `exponentBytes`
/// (little endian), less `offset`: with the exponent of a binade of ulp
/// 1 above those bytes, exactly w. One vector.shuffle, which NVPTX emits
/// as one prmt.b32 per 32-bit word.
Value KernelEmitter::placeUnderExponent(Value biased,
                                        ArrayRef<int8_t> exponentBytes,
                                        ArrayRef<int64_t> fromExponent,
                                        Type floatType, double offset) {
  auto bytesType = cast<VectorType>(biased.getType());
  int64_t width = bytesType.getNumElements();
  Value exponent = arith::ConstantOp::create(
      b, loc, bytesType, DenseElementsAttr::get(bytesType, exponentBytes));
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < width; ++i) {
    mask.push_back(i);
    for (int64_t byte : fromExponent)
      mask.push_back(width + byte);
  }
  Value withExponent = vector::BitCastOp::create(
      b, loc, bytesType.clone(floatType),
      vector::ShuffleOp::create(b, loc, biased, exponent, mask));
  return subtractSplat(withExponent, offset);
}

/// `value` - `offset` for a float vector.
Value KernelEmitter::subtractSplat(Value value, double offset) {
  auto type = cast<VectorType>(value.getType());
  return arith::SubFOp::create(
      b, loc, value,
      arith::ConstantOp::create(
          b, loc, type,
          DenseElementsAttr::get(
              type, b.getFloatAttr(type.getElementType(), offset))));
}

/// float(w) for an int8 vector, bit-identical to arith.sitofp, without a
/// conversion instruction: w ^ 0x80 (= w + 128, unsigned) as the low byte
/// of the f32 2^23 makes exactly 2^23 + w + 128, from which 2^23 + 128 is
/// subtracted exactly. GPUs convert integers to floats at 16 per clock
/// per SM (sm_80, sm_90), too few for a GEMV to convert every weight byte
/// at DRAM speed; the xor, byte moves and subtract run at the full rate.
Value KernelEmitter::convertInt8ToF32(Value weight) {
  auto bytesType = cast<VectorType>(weight.getType());
  Value biased = biasInt8(weight);
  double offset = 0x1p23 + 128.0;
  int64_t width = bytesType.getNumElements();
  if (width >= 4) {
    // Bytes 0, 0 and 3 of the little-endian 2^23 (00 00 00 4B).
    SmallVector<int8_t> exponentBytes(width, 0);
    exponentBytes[3] = kFloatTwoPow23Bits >> 24;
    return placeUnderExponent(biased, exponentBytes, {0, 0, 3}, b.getF32Type(),
                              offset);
  }
  // Too few bytes for the shuffle's second operand: widen and or.
  auto wordsType = bytesType.clone(b.getI32Type());
  Value words = arith::OrIOp::create(
      b, loc, arith::ExtUIOp::create(b, loc, wordsType, biased),
      arith::ConstantOp::create(
          b, loc, wordsType,
          DenseElementsAttr::get(wordsType,
                                 b.getI32IntegerAttr(kFloatTwoPow23Bits))));
  return subtractSplat(
      arith::BitcastOp::create(b, loc, bytesType.clone(b.getF32Type()), words),
      offset);
}

/// float(w) as f16 or bf16 (`elementType`; int8 values are exact in
/// both), bit-identical to arith.sitofp and, as convertInt8ToF32, without
/// a conversion instruction. f16: w ^ 0x80 as the low byte of 0x64
/// (1024, whose ulp is 1) makes 1024 + w + 128, minus 1152. bf16 has too
/// few mantissa bits for that; the f32 value's high half is its bf16
/// (the low half of a small integer's f32 is zero).
Value KernelEmitter::convertInt8ToHalf(Value weight) {
  int64_t width = cast<VectorType>(weight.getType()).getNumElements();
  assert(width >= 2 && "the mma kernels load 4 or more bytes");
  if (!elementType.isBF16())
    return placeUnderExponent(biasInt8(weight),
                              SmallVector<int8_t>(width, kHalf1024High), {0},
                              elementType, 1024.0 + 128.0);
  // Little endian: element 2i + 1 of the f32s as bf16 pairs is the high
  // half of f32 i.
  Value pairs = vector::BitCastOp::create(
      b, loc, VectorType::get({2 * width}, elementType),
      convertInt8ToF32(weight));
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < width; ++i)
    mask.push_back(2 * i + 1);
  return vector::ShuffleOp::create(b, loc, pairs, pairs, mask);
}

int64_t KernelEmitter::getInputAlignment(int64_t width) {
  return std::min<int64_t>(elementType.getIntOrFloatBitWidth() / 8 * width, 16);
}

/// Each weight slice converted once, each activation slice loaded (and
/// widened to f32, exactly for f16 and bf16) once for all columns.
SmallVector<Value> KernelEmitter::emitFmas(ValueRange weights,
                                           ValueRange rowIndices, Value k,
                                           ValueRange accs,
                                           int64_t inputAlign) {
  int64_t width = cast<VectorType>(weights.front().getType()).getNumElements();
  auto accType = VectorType::get({width}, b.getF32Type());
  auto inputType = VectorType::get({width}, elementType);
  SmallVector<Value> converted;
  for (Value weight : weights)
    converted.push_back(convertInt8ToF32(weight));
  assert(accs.size() == weights.size() * rowIndices.size() &&
         "one accumulator per column and row");
  SmallVector<Value> next(accs.size());
  for (auto [r, row] : llvm::enumerate(rowIndices)) {
    Value x = vector::LoadOp::create(
        b, loc, inputType, kernel.input, ValueRange{row, k},
        /*nontemporal=*/false, llvm::MaybeAlign(inputAlign));
    if (!elementType.isF32())
      x = arith::ExtFOp::create(b, loc, accType, x);
    for (auto [c, weight] : llvm::enumerate(converted)) {
      size_t index = c * rowIndices.size() + r;
      next[index] = vector::FMAOp::create(b, loc, x, weight, accs[index]);
    }
  }
  return next;
}

Value KernelEmitter::reduce(Value partialSums) {
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                     partialSums);
}

/// output[row, column] = epilogue(sum): the epilogue's body, cloned, with
/// its other inputs (scale, bias) loaded through their indexing maps.
void KernelEmitter::emitEpilogueStore(Value sum, Value row, Value column) {
  linalg::GenericOp epilogue = kernel.epilogue;
  Block &body = epilogue.getRegion().front();
  // The f32 sum rounded once to the activations' type, as a matmul that
  // accumulates in f32 rounds its result; the epilogue runs in that type.
  if (sum.getType() != elementType)
    sum = arith::TruncFOp::create(b, loc, elementType, sum);
  IRMapping mapping;
  mapping.map(body.getArgument(0), sum);
  SmallVector<AffineMap> maps = epilogue.getIndexingMapsArray();
  for (unsigned i = 1, e = epilogue.getNumDpsInputs(); i < e; ++i) {
    SmallVector<Value> indices;
    for (AffineExpr expr : maps[i].getResults()) {
      if (auto dim = dyn_cast<AffineDimExpr>(expr))
        indices.push_back(dim.getPosition() == 0 ? row : column);
      else
        indices.push_back(constant(cast<AffineConstantExpr>(expr).getValue()));
    }
    Value operand = epilogue.getDpsInputOperand(i)->get();
    mapping.map(body.getArgument(i),
                memref::LoadOp::create(b, loc, operand, indices));
  }
  for (Operation &op : body.without_terminator())
    b.clone(op, mapping);
  Value result = mapping.lookup(body.getTerminator()->getOperand(0));
  memref::StoreOp::create(b, loc, result, kernel.output,
                          ValueRange{row, column});
}
