//===- MapKernelsToGpu.cpp - fused int8 linears as GPU kernels ------------===//
//
// Rewrites each bufferized fused kernel (weight conversion + zero fill +
// contraction + epilogue, as qtensor-lower-to-linalg emits them) into GPU
// kernels written directly as gpu.launch bodies: scf loops, aligned vector
// loads of the int8 weight, f32 accumulation (f16 and bf16 activations are
// widened in registers, the sum rounded once to their type before the
// epilogue), the epilogue's own body. The
// same bodies can be emitted inside scf.parallel loops instead, so that the
// CPU can execute the tiling of the GPU kernels.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/GpuPipeline.h"
#include "qtensor/Passes/PassUtils.h"
#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/IRMapping.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORMAPKERNELSTOGPU
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

// kWarpSize (32) comes from NVGPUDialect.h.
/// Tiled kernel: threads along N (x, one warp: neighbouring columns) and
/// along M (y).
static constexpr int64_t kTiledBlockN = 32;
static constexpr int64_t kTiledBlockM = 4;
/// Shared-memory tiled kernel: the block stages 64, 128 or 256 bytes (the
/// most that divides K) of its 32 weight rows per step, each thread 16
/// bytes per 64; rows are padded by kSharedRowPadding so that the 16-byte
/// reads of 8 neighbouring threads (one shared-memory wavefront) hit
/// distinct banks (rows 20, 36 or 68 words long start 4 banks apart).
static constexpr int64_t kSharedTileChunk = 64;
static constexpr int64_t kSharedTileMaxK = 256;
static constexpr int64_t kSharedRowPadding = 16;
/// Split-K kernel: warps per block, `splitk-columns` output elements each.
static constexpr int64_t kWarpsPerBlock = 4;
/// Tensor-core kernel: mma.sync.m16n8k16 tiles; each warp computes
/// kMmaTilesM x kMmaTilesN of them (32 rows x 32 columns), the block's
/// kWarpsPerBlock warps lie side by side along N.
static constexpr int64_t kMmaM = 16, kMmaN = 8, kMmaK = 16;
static constexpr int64_t kMmaTilesM = 2, kMmaTilesN = 4;
/// A warp's output tile, and the f32 results each of its lanes holds.
static constexpr int64_t kMmaWarpRows = kMmaM * kMmaTilesM;
static constexpr int64_t kMmaWarpColumns = kMmaN * kMmaTilesN;
static constexpr int64_t kMmaResultsPerLane = 4 * kMmaTilesM * kMmaTilesN;
/// K steps each split-K lane loads (for each of its columns) before it uses
/// the first: one outstanding 16-byte load per lane keeps about 2 MB in
/// flight on an H100/H200, half of what their DRAM needs to stream at full
/// speed. Per column, not per lane, so that C columns per warp (C times
/// fewer blocks) keep as many bytes in flight.
static constexpr int64_t kSplitKLoadsInFlight = 4;
/// The bits of the f32 2^23: an integer u < 2^23 in its low mantissa bits
/// makes the float 2^23 + u.
static constexpr int32_t kFloatTwoPow23Bits = 0x4B000000;
/// The high byte of the f16 1024 (0x6400): an integer u < 1024 in its low
/// mantissa bits makes the half 1024 + u.
static constexpr int8_t kHalf1024High = 0x64;

namespace {

/// The ops and buffers of one bufferized fused kernel.
struct FusedKernel {
  linalg::GenericOp convert, contraction, epilogue;
  linalg::FillOp fill;
  /// [M, K] f32 activations, [N, K] i8 weight, [M, N] epilogue output.
  Value input, weight, output;
  int64_t n = 0, k = 0;
};

bool hasUnitInnerStride(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  return type.isLastDimUnitStride();
}

/// Matches the fused kernel that ends in `epilogue`; nullopt when any part
/// differs from what qtensor-lower-to-linalg emits for the [N, K] weight
/// layout and f32 activations.
std::optional<FusedKernel> matchFusedKernel(linalg::GenericOp epilogue) {
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
        fill && fill.getDpsInitOperand(0)->get() == acc)
      kernel.fill = fill;
    if (auto generic = dyn_cast<linalg::GenericOp>(user);
        generic && generic != epilogue && generic.getNumDpsInits() == 1 &&
        generic.getDpsInitOperand(0)->get() == acc &&
        generic.getNumReductionLoops() == 1)
      kernel.contraction = generic;
  }
  if (!kernel.fill || !kernel.contraction)
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
  // The fill, the contraction and the epilogue run in this order, next to
  // each other as far as the accumulator is concerned.
  if (kernel.fill->getBlock() != epilogue->getBlock() ||
      contraction->getBlock() != epilogue->getBlock() ||
      !kernel.fill->isBeforeInBlock(contraction) ||
      !contraction->isBeforeInBlock(epilogue))
    return std::nullopt;
  // Bufferization usually writes the epilogue in place: then the
  // accumulator is the output, and later ops read it.
  // Shape queries read no element (canonicalization folds them away).
  for (Operation *user : acc.getUsers())
    if (user != kernel.fill && user != contraction && user != epilogue &&
        !isa<memref::DimOp>(user) &&
        !(acc == kernel.output && user->getBlock() == epilogue->getBlock() &&
          epilogue->isBeforeInBlock(user)))
      return std::nullopt;

  kernel.input = contraction.getDpsInputOperand(0)->get();
  Value converted = contraction.getDpsInputOperand(1)->get();
  for (Operation *user : converted.getUsers())
    if (auto generic = dyn_cast<linalg::GenericOp>(user);
        generic && generic->hasAttr(kWeightConvertAttr) &&
        generic.getDpsInitOperand(0)->get() == converted)
      kernel.convert = generic;
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

/// The kernel name stem of `kernel`: its weight's parameter name ("fc1.weight"
/// from "fc1.weight.data") as an identifier, else "linear<index>".
std::string getKernelStem(const FusedKernel &kernel, unsigned index) {
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

/// Block and thread ids of one (emulated or real) GPU thread, x and y.
struct ThreadIds {
  Value blockX, blockY, threadX, threadY;
};

/// Emits the code of one fused kernel's variants at the builder's position.
class KernelEmitter {
public:
  KernelEmitter(OpBuilder &builder, Location loc, const FusedKernel &kernel,
                bool emulate, int64_t tileM, bool tensorCores,
                int64_t splitKColumns, std::string stem)
      : b(builder), loc(loc), kernel(kernel), emulate(emulate), tileM(tileM),
        splitKColumns(splitKColumns), stem(std::move(stem)) {
    elementType = cast<MemRefType>(kernel.input.getType()).getElementType();
    // Tensor cores take f16 and bf16 in k steps of 16; a lane reads 4 * C
    // consecutive k per step of 16 * C, C = 4 (16-byte weight loads) when
    // K allows.
    if (tensorCores && !elementType.isF32() && kernel.k % kMmaK == 0)
      for (int64_t chunks : {4, 2, 1})
        if (kernel.k % (kMmaK * chunks) == 0) {
          mmaChunks = chunks;
          break;
        }
    // The widest load that tiles every weight row: 16 int8 values (one
    // 128-bit load) when K allows. Rows start at multiples of K bytes, so
    // the alignment holds for any row of a buffer that is itself aligned
    // (device allocations are 256-byte aligned).
    for (int64_t width : {16, 8, 4, 2, 1})
      if (kernel.k % width == 0) {
        vectorWidth = width;
        break;
      }
    // Deeper tiles put more of each thread's weight loads in flight per
    // barrier pair.
    if (vectorWidth == 16)
      for (int64_t depth = kSharedTileMaxK; depth >= kSharedTileChunk;
           depth /= 2)
        if (kernel.k % depth == 0) {
          sharedTileK = depth;
          break;
        }
    rows = memref::DimOp::create(b, loc, kernel.output, 0);
  }

  /// Emits both variants and the choice between them by the batch size
  /// (only one when M is static).
  void emit(int64_t smallM) {
    emitByBatchSize(
        smallM, [&] { emitSplitK(); }, [&] { emitLargeBatch(); });
  }

private:
  /// `small()` for batches of at most `maxRows` rows, else `large()`: the
  /// one that applies when M is static, both and an scf.if on M otherwise.
  void emitByBatchSize(int64_t maxRows, function_ref<void()> small,
                       function_ref<void()> large) {
    int64_t staticRows =
        cast<MemRefType>(kernel.output.getType()).getDimSize(0);
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

  Value constant(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }

  /// An f32 vector of zeros.
  Value zeroVector(VectorType type) {
    return arith::ConstantOp::create(b, loc, type,
                                     DenseElementsAttr::get(type, 0.0f));
  }

  Value add(Value lhs, Value rhs) {
    return arith::AddIOp::create(b, loc, lhs, rhs);
  }
  Value mul(Value lhs, int64_t rhs) {
    return arith::MulIOp::create(b, loc, lhs, constant(rhs));
  }

  /// ceil(M / `blockRows`) without arith.ceildivui, which the LLVM
  /// lowerings do not handle.
  Value rowBlocks(int64_t blockRows) {
    return arith::DivUIOp::create(b, loc, add(rows, constant(blockRows - 1)),
                                  constant(blockRows));
  }

  Value isBelow(Value index, Value bound) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index,
                                 bound);
  }

  void emitLargeBatch() {
    if (mmaChunks > 0)
      emitTensorCores();
    else if (sharedTileK > 0)
      emitSharedTiled();
    else
      emitTiled();
  }

  /// A grid of `gridX` x `gridY` blocks of `blockX` x `blockY` threads
  /// running `body`: a gpu.launch, or with `emulate` an scf.parallel over
  /// the four ids.
  void emitGrid(StringRef variant, Value gridX, Value gridY, int64_t blockX,
                int64_t blockY, function_ref<void(ThreadIds)> body) {
    Value one = constant(1);
    if (!emulate) {
      // Outlining names the kernel (and its module) after these.
      auto name =
          FlatSymbolRefAttr::get(b.getContext(), (stem + "_" + variant).str());
      auto launch = gpu::LaunchOp::create(
          b, loc, gridX, gridY, one, constant(blockX), constant(blockY), one,
          /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
          /*asyncDependencies=*/{}, /*workgroupAttributions=*/{},
          /*privateAttributions=*/{}, /*clusterSizeX=*/nullptr,
          /*clusterSizeY=*/nullptr, /*clusterSizeZ=*/nullptr, name, name);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launch.getBody().front());
      body({launch.getBlockIds().x, launch.getBlockIds().y,
            launch.getThreadIds().x, launch.getThreadIds().y});
      gpu::TerminatorOp::create(b, loc);
      return;
    }
    Value zero = constant(0);
    auto parallel = scf::ParallelOp::create(
        b, loc, ValueRange{zero, zero, zero, zero},
        ValueRange{gridX, gridY, constant(blockX), constant(blockY)},
        ValueRange{one, one, one, one});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(parallel.getBody()->getTerminator());
    SmallVector<Value> ivs(parallel.getInductionVars());
    body({ivs[0], ivs[1], ivs[2], ivs[3]});
  }

  /// Runs `then` when `condition` holds.
  void emitIf(Value condition, function_ref<void()> then) {
    auto ifOp = scf::IfOp::create(b, loc, condition, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    then();
  }

  /// For each column c in `columns` and row r in `rowIndices`, the
  /// `vectorWidth` partial sums c * R + r of x[row, k] * float(w[column, k])
  /// over k = lower, lower + step, ... < K (each step reads `vectorWidth`
  /// consecutive k), added to `initialSums` (zeros when empty). Each weight
  /// slice is loaded and converted once for all rows, each activation slice
  /// once for all columns.
  SmallVector<Value> emitPartialSums(ValueRange rowIndices, ValueRange columns,
                                     Value lower, int64_t step,
                                     ValueRange initialSums = {}) {
    auto accType = VectorType::get({vectorWidth}, b.getF32Type());
    SmallVector<Value> inits(initialSums);
    if (inits.empty())
      inits.assign(rowIndices.size() * columns.size(), zeroVector(accType));
    int64_t inputAlign = getInputAlignment();
    auto loop = scf::ForOp::create(
        b, loc, lower, constant(kernel.k), constant(step), inits,
        [&](OpBuilder &nb, Location, Value k, ValueRange accs) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SmallVector<Value> weights;
          for (Value column : columns)
            weights.push_back(loadWeightSlice(column, k));
          scf::YieldOp::create(
              b, loc, emitFmas(weights, rowIndices, k, accs, inputAlign));
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// w[column, k .. k + V), one aligned load (ld.global.v4 at V = 16).
  Value loadWeightSlice(Value column, Value k) {
    return vector::LoadOp::create(
        b, loc, VectorType::get({vectorWidth}, b.getI8Type()), kernel.weight,
        ValueRange{column, k}, /*nontemporal=*/false,
        llvm::MaybeAlign(vectorWidth));
  }

  /// w ^ 0x80 for an int8 vector: w + 128 as an unsigned byte.
  Value biasInt8(Value weight) {
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
  Value placeUnderExponent(Value biased, ArrayRef<int8_t> exponentBytes,
                           ArrayRef<int64_t> fromExponent, Type floatType,
                           double offset) {
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
  Value subtractSplat(Value value, double offset) {
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
  Value convertInt8ToF32(Value weight) {
    auto bytesType = cast<VectorType>(weight.getType());
    Value biased = biasInt8(weight);
    double offset = 0x1p23 + 128.0;
    int64_t width = bytesType.getNumElements();
    if (width >= 4) {
      // Bytes 0, 0 and 3 of the little-endian 2^23 (00 00 00 4B).
      SmallVector<int8_t> exponentBytes(width, 0);
      exponentBytes[3] = kFloatTwoPow23Bits >> 24;
      return placeUnderExponent(biased, exponentBytes, {0, 0, 3},
                                b.getF32Type(), offset);
    }
    // Too few bytes for the shuffle's second operand: widen and or.
    auto wordsType = bytesType.clone(b.getI32Type());
    Value words = arith::OrIOp::create(
        b, loc, arith::ExtUIOp::create(b, loc, wordsType, biased),
        arith::ConstantOp::create(
            b, loc, wordsType,
            DenseElementsAttr::get(wordsType,
                                   b.getI32IntegerAttr(kFloatTwoPow23Bits))));
    return subtractSplat(arith::BitcastOp::create(
                             b, loc, bytesType.clone(b.getF32Type()), words),
                         offset);
  }

  /// float(w) as f16 or bf16 (`elementType`; int8 values are exact in
  /// both), bit-identical to arith.sitofp and, as convertInt8ToF32, without
  /// a conversion instruction. f16: w ^ 0x80 as the low byte of 0x64
  /// (1024, whose ulp is 1) makes 1024 + w + 128, minus 1152. bf16 has too
  /// few mantissa bits for that; the f32 value's high half is its bf16
  /// (the low half of a small integer's f32 is zero).
  Value convertInt8ToHalf(Value weight) {
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

  /// The alignment of an activation slice load: 16 bytes at most (an
  /// aligned f32 slice is one ld.global.v4.f32).
  int64_t getInputAlignment() {
    return std::min<int64_t>(
        elementType.getIntOrFloatBitWidth() / 8 * vectorWidth, 16);
  }

  /// accs[c * R + r] + x[rows[r], k .. k + V) * float(weights[c]) for C
  /// weight slices and R rows: each weight slice converted once, each
  /// activation slice loaded (and widened to f32, exactly for f16 and
  /// bf16) once for all columns.
  SmallVector<Value> emitFmas(ValueRange weights, ValueRange rowIndices,
                              Value k, ValueRange accs, int64_t inputAlign) {
    int64_t width =
        cast<VectorType>(weights.front().getType()).getNumElements();
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

  Value reduce(Value partialSums) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                       partialSums);
  }

  /// output[row, column] = epilogue(sum): the epilogue's body, cloned, with
  /// its other inputs (scale, bias) loaded through their indexing maps.
  void emitEpilogueStore(Value sum, Value row, Value column) {
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
          indices.push_back(
              constant(cast<AffineConstantExpr>(expr).getValue()));
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

  /// Each thread computes `tileM` rows of one column; a block covers 32
  /// columns x (4 * tileM) rows.
  void emitTiled() {
    int64_t rowsPerBlock = kTiledBlockM * tileM;
    Value gridX = constant(llvm::divideCeil(kernel.n, kTiledBlockN));
    Value gridY = rowBlocks(rowsPerBlock);
    emitGrid(
        "tiled", gridX, gridY, kTiledBlockN, kTiledBlockM, [&](ThreadIds ids) {
          Value column = getTiledColumn(ids);
          auto body = [&] {
            // Rows past the end read the last row (valid memory, no
            // divergence in the K loop) and store nothing.
            SmallVector<Value> rowIndices, clamped;
            getTiledRows(ids, rowIndices, clamped);
            SmallVector<Value> sums =
                emitPartialSums(clamped, column, constant(0), vectorWidth);
            // The whole body is inside the column check.
            emitTiledStores(column, rowIndices, sums, /*checkColumn=*/false);
          };
          if (kernel.n % kTiledBlockN == 0)
            return body();
          emitIf(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                       column, constant(kernel.n)),
                 body);
        });
  }

  // The shared-memory tiled kernel: the tiled kernel's threads and sums,
  // with the weight staged per block. Per step of 64 k, thread i of the
  // block's 128 copies bytes 16 (i % 4) .. + 16 of weight row i / 4 (four
  // threads read 64 contiguous bytes of a row: coalesced) into the shared
  // tile; after a barrier, each thread reads its column's row from there.
  // The sums are the tiled kernel's, in the same order.

  /// The tiled kernel's rows of thread `ids` (tileM of them), as they are
  /// and clamped into the matrix.
  void getTiledRows(ThreadIds ids, SmallVector<Value> &rowIndices,
                    SmallVector<Value> &clamped) {
    Value firstRow =
        mul(add(mul(ids.blockY, kTiledBlockM), ids.threadY), tileM);
    Value lastRow = arith::SubIOp::create(b, loc, rows, constant(1));
    for (int64_t r = 0; r < tileM; ++r) {
      Value row = add(firstRow, constant(r));
      rowIndices.push_back(row);
      clamped.push_back(arith::MinUIOp::create(b, loc, row, lastRow));
    }
  }

  Value getTiledColumn(ThreadIds ids) {
    return add(mul(ids.blockX, kTiledBlockN), ids.threadX);
  }

  /// Thread `ids`' part of staging weight bytes [k0, k0 + sharedTileK) of
  /// the block's rows in `tile`: in each 64 bytes of row i / 4, the 16 at
  /// 16 (i % 4), so that four threads read 64 contiguous bytes. All its
  /// loads are issued before the first store.
  void emitWeightTileCopy(ThreadIds ids, Value k0, Value tile) {
    Value thread = add(mul(ids.threadY, kTiledBlockN), ids.threadX);
    Value tileRow = arith::DivUIOp::create(b, loc, thread, constant(4));
    Value offset = mul(arith::RemUIOp::create(b, loc, thread, constant(4)), 16);
    // Rows past N copy row N - 1; their columns store nothing.
    Value weightRow = arith::MinUIOp::create(
        b, loc, add(mul(ids.blockX, kTiledBlockN), tileRow),
        constant(kernel.n - 1));
    auto sliceType = VectorType::get({16}, b.getI8Type());
    SmallVector<Value> offsets, slices;
    for (int64_t chunk = 0; chunk < sharedTileK; chunk += kSharedTileChunk) {
      offsets.push_back(add(offset, constant(chunk)));
      slices.push_back(
          vector::LoadOp::create(b, loc, sliceType, kernel.weight,
                                 ValueRange{weightRow, add(k0, offsets.back())},
                                 /*nontemporal=*/false, llvm::MaybeAlign(16)));
    }
    for (auto [slice, at] : llvm::zip(slices, offsets))
      vector::StoreOp::create(b, loc, slice, tile, ValueRange{tileRow, at},
                              /*nontemporal=*/false, llvm::MaybeAlign(16));
  }

  Attribute getWorkgroupMemorySpace() {
    return gpu::AddressSpaceAttr::get(b.getContext(),
                                      gpu::AddressSpace::Workgroup);
  }

  /// The K-split mma kernel's partial tiles, [warp][result][lane].
  MemRefType getWarpPartialsType(Attribute memorySpace = {}) {
    return MemRefType::get({kWarpsPerBlock, kMmaResultsPerLane, kWarpSize},
                           b.getF32Type(), MemRefLayoutAttrInterface(),
                           memorySpace);
  }

  MemRefType getWeightTileType(Attribute memorySpace = {}) {
    return MemRefType::get({kTiledBlockN, sharedTileK + kSharedRowPadding},
                           b.getI8Type(), MemRefLayoutAttrInterface(),
                           memorySpace);
  }

  /// The partial sums of thread `ids` after the products of k in
  /// [k0, k0 + sharedTileK), its column's weights read from `tile`.
  SmallVector<Value> emitTileProducts(ThreadIds ids, ArrayRef<Value> rowIndices,
                                      Value k0, Value tile,
                                      ValueRange partials) {
    // A loop, not unrolled here: unrolled, the loads of all four slices
    // were scheduled first and the accumulators spilled.
    auto loop = scf::ForOp::create(
        b, loc, constant(0), constant(sharedTileK), constant(16), partials,
        [&](OpBuilder &nb, Location, Value kk, ValueRange iterSums) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Value weight = vector::LoadOp::create(
              b, loc, VectorType::get({16}, b.getI8Type()), tile,
              ValueRange{ids.threadX, kk}, /*nontemporal=*/false,
              llvm::MaybeAlign(16));
          scf::YieldOp::create(b, loc,
                               emitFmas(weight, rowIndices, add(k0, kk),
                                        iterSums, /*inputAlign=*/16));
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// The epilogue of each of the thread's rows inside the matrix, in
  /// `column` (checked against N only with `checkColumn`).
  void emitTiledStores(Value column, ArrayRef<Value> rowIndices,
                       ArrayRef<Value> partials, bool checkColumn) {
    Value columnInside =
        checkColumn ? isBelow(column, constant(kernel.n)) : Value();
    for (auto [rowIndex, rowSum] : llvm::zip(rowIndices, partials)) {
      // Lambdas cannot capture structured bindings in C++17.
      Value row = rowIndex, partial = rowSum;
      Value inside = isBelow(row, rows);
      if (columnInside)
        inside = arith::AndIOp::create(b, loc, inside, columnInside);
      emitIf(inside, [&] { emitEpilogueStore(reduce(partial), row, column); });
    }
  }

  void emitSharedTiled() {
    int64_t rowsPerBlock = kTiledBlockM * tileM;
    Value gridX = constant(llvm::divideCeil(kernel.n, kTiledBlockN));
    Value gridY = rowBlocks(rowsPerBlock);
    if (emulate)
      return emitEmulatedSharedTiled(gridX, gridY);
    auto accType = VectorType::get({16}, b.getF32Type());
    MemRefType tileType = getWeightTileType(getWorkgroupMemorySpace());
    emitGrid("tiled", gridX, gridY, kTiledBlockN, kTiledBlockM,
             [&](ThreadIds ids) {
               // qtensor-use-device-memory makes it a workgroup attribution.
               Value tile = memref::AllocaOp::create(b, loc, tileType);
               SmallVector<Value> rowIndices, clamped;
               getTiledRows(ids, rowIndices, clamped);
               Value zeros = zeroVector(accType);
               SmallVector<Value> inits(tileM, zeros);
               // Every thread takes part in the copies and barriers, also those
               // whose column is past N.
               auto loop = scf::ForOp::create(
                   b, loc, constant(0), constant(kernel.k),
                   constant(sharedTileK), inits,
                   [&](OpBuilder &nb, Location, Value k0, ValueRange partials) {
                     OpBuilder::InsertionGuard guard(b);
                     b.setInsertionPoint(nb.getInsertionBlock(),
                                         nb.getInsertionPoint());
                     emitWeightTileCopy(ids, k0, tile);
                     gpu::BarrierOp::create(b, loc);
                     SmallVector<Value> sums =
                         emitTileProducts(ids, clamped, k0, tile, partials);
                     // The next step overwrites the tile.
                     gpu::BarrierOp::create(b, loc);
                     scf::YieldOp::create(b, loc, sums);
                   });
               emitTiledStores(getTiledColumn(ids), rowIndices,
                               SmallVector<Value>(loop.getResults()),
                               /*checkColumn=*/kernel.n % kTiledBlockN != 0);
             });
  }

  /// The shared-memory tiled kernel with each barrier as the end of an
  /// scf.parallel over the block's threads: the tile is a buffer per
  /// emulated block, the partial sums live in a [4, 32, tileM, 16] buffer
  /// between the phases.
  void emitEmulatedSharedTiled(Value gridX, Value gridY) {
    emitEmulatedBlocks(gridX, gridY, [&](Value blockX, Value blockY) {
      emitEmulatedSharedTiledBlock(blockX, blockY);
    });
  }

  /// An scf.parallel over the grid's blocks, running `body(blockX, blockY)`.
  void emitEmulatedBlocks(Value gridX, Value gridY,
                          function_ref<void(Value, Value)> body) {
    Value zero = constant(0), one = constant(1);
    auto blocks =
        scf::ParallelOp::create(b, loc, ValueRange{zero, zero},
                                ValueRange{gridX, gridY}, ValueRange{one, one});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(blocks.getBody()->getTerminator());
    body(blocks.getInductionVars()[0], blocks.getInductionVars()[1]);
  }

  void emitEmulatedSharedTiledBlock(Value blockX, Value blockY) {
    Value zero = constant(0), one = constant(1);
    Type f32 = b.getF32Type();
    auto accType = VectorType::get({16}, f32);
    // Heap buffers, freed at the end of each emulated block by the buffer
    // deallocation that follows; allocas would grow the stack with every
    // block, as the emulated grid runs as sequential loops.
    Value tile = memref::AllocOp::create(b, loc, getWeightTileType());
    Value partials = memref::AllocOp::create(
        b, loc, MemRefType::get({kTiledBlockM, kTiledBlockN, tileM, 16}, f32));
    // Runs `phase` for every thread of the block.
    auto threads = [&](function_ref<void(ThreadIds)> phase) {
      auto loop = scf::ParallelOp::create(
          b, loc, ValueRange{zero, zero},
          ValueRange{constant(kTiledBlockN), constant(kTiledBlockM)},
          ValueRange{one, one});
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(loop.getBody()->getTerminator());
      phase({blockX, blockY, loop.getInductionVars()[0],
             loop.getInductionVars()[1]});
    };
    auto partialIndices = [&](ThreadIds ids, int64_t r) -> SmallVector<Value> {
      return {ids.threadY, ids.threadX, constant(r), zero};
    };
    auto loadPartials = [&](ThreadIds ids) {
      SmallVector<Value> result;
      for (int64_t r = 0; r < tileM; ++r)
        result.push_back(vector::LoadOp::create(b, loc, accType, partials,
                                                partialIndices(ids, r)));
      return result;
    };
    threads([&](ThreadIds ids) {
      Value zeros = zeroVector(accType);
      for (int64_t r = 0; r < tileM; ++r)
        vector::StoreOp::create(b, loc, zeros, partials,
                                partialIndices(ids, r));
    });
    auto steps = scf::ForOp::create(b, loc, zero, constant(kernel.k),
                                    constant(sharedTileK));
    {
      OpBuilder::InsertionGuard stepGuard(b);
      b.setInsertionPoint(steps.getBody()->getTerminator());
      Value k0 = steps.getInductionVar();
      threads([&](ThreadIds ids) { emitWeightTileCopy(ids, k0, tile); });
      threads([&](ThreadIds ids) {
        SmallVector<Value> rowIndices, clamped;
        getTiledRows(ids, rowIndices, clamped);
        SmallVector<Value> sums =
            emitTileProducts(ids, clamped, k0, tile, loadPartials(ids));
        for (auto [r, sum] : llvm::enumerate(sums))
          vector::StoreOp::create(b, loc, sum, partials,
                                  partialIndices(ids, r));
      });
    }
    threads([&](ThreadIds ids) {
      SmallVector<Value> rowIndices, clamped;
      getTiledRows(ids, rowIndices, clamped);
      emitTiledStores(getTiledColumn(ids), rowIndices, loadPartials(ids),
                      /*checkColumn=*/kernel.n % kTiledBlockN != 0);
    });
  }

  /// Each warp computes `splitKColumns` neighbouring output elements of
  /// one row: lanes split K, each activation slice serves all the warp's
  /// columns, a butterfly of xor shuffles adds each column's partial sums
  /// in a fixed order (the same for any column count).
  void emitSplitK() {
    int64_t columnsPerBlock = kWarpsPerBlock * splitKColumns;
    Value gridX = constant(llvm::divideCeil(kernel.n, columnsPerBlock));
    // With emulate, the lanes are a loop inside each emulated warp.
    int64_t blockX = emulate ? 1 : kWarpSize;
    emitGrid("splitk", gridX, rows, blockX, kWarpsPerBlock, [&](ThreadIds ids) {
      Value firstColumn =
          mul(add(mul(ids.blockX, kWarpsPerBlock), ids.threadY), splitKColumns);
      Value row = ids.blockY;
      // A warp that starts below N but ends past it reads the last weight
      // row for its columns past N and stores nothing there; its first
      // column is below N (the body's guard).
      bool ragged = kernel.n % splitKColumns != 0;
      SmallVector<Value> columns, clampedColumns;
      for (int64_t c = 0; c < splitKColumns; ++c) {
        columns.push_back(add(firstColumn, constant(c)));
        clampedColumns.push_back(
            ragged && c > 0 ? arith::MinUIOp::create(b, loc, columns.back(),
                                                     constant(kernel.n - 1))
                            : columns.back());
      }
      auto storeColumns = [&](ArrayRef<Value> sums) {
        for (size_t c = 0; c < columns.size(); ++c) {
          Value column = columns[c], sum = sums[c];
          if (!ragged || c == 0) {
            emitEpilogueStore(sum, row, column);
            continue;
          }
          emitIf(isBelow(column, constant(kernel.n)),
                 [&] { emitEpilogueStore(sum, row, column); });
        }
      };
      auto body = [&] {
        if (!emulate) {
          SmallVector<Value> sums =
              emitLanePartialSums(ids.threadX, row, clampedColumns);
          for (Value &sum : sums) {
            sum = reduce(sum);
            for (int64_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
              Value other =
                  gpu::ShuffleOp::create(b, loc, sum, offset, kWarpSize,
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
              sum = arith::AddFOp::create(b, loc, sum, other);
            }
          }
          Value isFirstLane = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::eq, ids.threadX, constant(0));
          emitIf(isFirstLane, [&] { storeColumns(sums); });
          return;
        }
        // The warp's lanes one after the other, each column's lane sums in
        // one vector, then the same butterfly: lane l adds lane (l ^ offset).
        auto lanesType = VectorType::get({kWarpSize}, b.getF32Type());
        SmallVector<Value> zeros(splitKColumns, zeroVector(lanesType));
        auto lanes = scf::ForOp::create(
            b, loc, constant(0), constant(kWarpSize), constant(1), zeros,
            [&](OpBuilder &nb, Location l, Value lane, ValueRange iter) {
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPoint(nb.getInsertionBlock(),
                                  nb.getInsertionPoint());
              SmallVector<Value> next;
              for (auto [partial, laneSums] : llvm::zip(
                       emitLanePartialSums(lane, row, clampedColumns), iter))
                next.push_back(vector::InsertOp::create(
                    b, l, reduce(partial), laneSums, OpFoldResult(lane)));
              scf::YieldOp::create(b, l, next);
            });
        // partners[i]: lane l ^ (16 >> i) for each lane l.
        SmallVector<SmallVector<int64_t>> partners;
        for (int64_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
          SmallVector<int64_t> &partner = partners.emplace_back();
          for (int64_t lane = 0; lane < kWarpSize; ++lane)
            partner.push_back(lane ^ offset);
        }
        SmallVector<Value> sums;
        for (Value laneSums : lanes.getResults()) {
          for (ArrayRef<int64_t> partner : partners) {
            Value other =
                vector::ShuffleOp::create(b, loc, laneSums, laneSums, partner);
            laneSums = arith::AddFOp::create(b, loc, laneSums, other);
          }
          sums.push_back(
              vector::ExtractOp::create(b, loc, laneSums, int64_t(0)));
        }
        storeColumns(sums);
      };
      if (kernel.n % columnsPerBlock == 0)
        return body();
      emitIf(isBelow(firstColumn, constant(kernel.n)), body);
    });
  }

  // The tensor-core kernel. mma.sync.m16n8k16 gives lane l of a warp, as
  // (g, t) = (l / 4, l % 4), rows g and g + 8 of A and column g of B at the
  // k offsets {2t, 2t + 1} (B register 0, A registers 0 and 1) and
  // {2t + 8, 2t + 9} (B register 1, A registers 2 and 3), the results at
  // rows g, g + 8 and
  // columns 2t, 2t + 1. A sum over k does not depend on which k an offset
  // names, so in a step of 16 * C the kernel gives lane (g, t) the 4 * C
  // consecutive k from k0 + 4 * C * t: one load of each weight row and
  // each activation row per step, whose 4-element chunk j feeds those
  // offsets of the j-th mma. Both operands are renamed alike, so every
  // product still pairs x[m, k] with w[n, k].

  /// Where lane (g, t) of a warp reads and writes: its activation rows
  /// (row tile p, half h: row g + 8h) and weight rows (column tile q, row
  /// g), clamped into the matrices, and the first of its k in each step.
  struct MmaLane {
    Value g, t, kOffset;
    SmallVector<Value> rows, weightRows;
  };

  MmaLane getMmaLane(Value lane, Value firstRow, Value firstColumn) {
    MmaLane result;
    result.g = arith::DivUIOp::create(b, loc, lane, constant(4));
    result.t = arith::RemUIOp::create(b, loc, lane, constant(4));
    result.kOffset = mul(result.t, 4 * mmaChunks);
    Value lastRow = arith::SubIOp::create(b, loc, rows, constant(1));
    for (int64_t p = 0; p < kMmaTilesM; ++p)
      for (int64_t h = 0; h < 2; ++h) {
        Value row =
            add(firstRow, add(result.g, constant(kMmaM * p + kMmaM / 2 * h)));
        result.rows.push_back(arith::MinUIOp::create(b, loc, row, lastRow));
      }
    for (int64_t q = 0; q < kMmaTilesN; ++q) {
      Value column = add(firstColumn, add(result.g, constant(kMmaN * q)));
      result.weightRows.push_back(
          arith::MinUIOp::create(b, loc, column, constant(kernel.n - 1)));
    }
    return result;
  }

  /// A lane's mma fragments for one k step at `k0`: `a[j][p]`
  /// (vector<4x2xT>, rows g, g + 8, g, g + 8 at k offsets 2t, 2t, 2t + 8,
  /// 2t + 8) of row tile p and `bFragments[j][q]` (vector<2x2xT>, k offsets
  /// 2t and 2t + 8) of column tile q, for chunk j.
  struct MmaOperands {
    SmallVector<SmallVector<Value>> a, bFragments;
  };

  MmaOperands loadMmaOperands(const MmaLane &lane, Value k0) {
    int64_t width = 4 * mmaChunks;
    auto sliceType = VectorType::get({width}, elementType);
    Value k = add(k0, lane.kOffset);
    int64_t inputAlign =
        std::min<int64_t>(elementType.getIntOrFloatBitWidth() / 8 * width, 16);
    SmallVector<Value> x, w;
    for (Value row : lane.rows)
      x.push_back(vector::LoadOp::create(
          b, loc, sliceType, kernel.input, ValueRange{row, k},
          /*nontemporal=*/false, llvm::MaybeAlign(inputAlign)));
    for (Value row : lane.weightRows)
      w.push_back(convertInt8ToHalf(vector::LoadOp::create(
          b, loc, VectorType::get({width}, b.getI8Type()), kernel.weight,
          ValueRange{row, k}, /*nontemporal=*/false, llvm::MaybeAlign(width))));
    // A shuffle, not extract_strided_slice: the NVVM conversion lowers it.
    auto pair = [&](Value slice, int64_t offset) -> Value {
      return vector::ShuffleOp::create(b, loc, slice, slice,
                                       ArrayRef<int64_t>{offset, offset + 1});
    };
    // Fragment rows are whole registers: vector.insert lowers to one
    // llvm.insertvalue each.
    auto fragment = [&](ArrayRef<Value> rows) -> Value {
      auto type = VectorType::get({int64_t(rows.size()), 2}, elementType);
      Value result = arith::ConstantOp::create(
          b, loc, type,
          DenseElementsAttr::get(type, b.getZeroAttr(elementType)));
      for (auto [index, row] : llvm::enumerate(rows))
        result = vector::InsertOp::create(b, loc, row, result, int64_t(index));
      return result;
    };
    MmaOperands operands;
    for (int64_t j = 0; j < mmaChunks; ++j) {
      int64_t first = 4 * j;
      auto &a = operands.a.emplace_back();
      for (int64_t p = 0; p < kMmaTilesM; ++p) {
        Value top = x[2 * p], bottom = x[2 * p + 1];
        a.push_back(fragment({pair(top, first), pair(bottom, first),
                              pair(top, first + 2), pair(bottom, first + 2)}));
      }
      auto &bFragments = operands.bFragments.emplace_back();
      for (Value slice : w)
        bFragments.push_back(
            fragment({pair(slice, first), pair(slice, first + 2)}));
    }
    return operands;
  }

  /// Result element i of tile (p, q) for lane (g, t), relative to the
  /// warp's first row and column.
  std::pair<Value, Value> getMmaResultPosition(const MmaLane &lane, int64_t p,
                                               int64_t q, int64_t i) {
    Value row = add(lane.g, constant(kMmaM * p + kMmaM / 2 * (i / 2)));
    Value column = add(mul(lane.t, 2), constant(kMmaN * q + i % 2));
    return {row, column};
  }

  static int64_t getMmaResultIndex(int64_t p, int64_t q, int64_t i) {
    return (p * kMmaTilesN + q) * 4 + i;
  }

  /// Applies the epilogue to the lane's results `resultAt(index)` inside
  /// the matrix.
  void emitMmaStores(const MmaLane &lane, Value firstRow, Value firstColumn,
                     function_ref<Value(int64_t)> resultAt) {
    for (int64_t p = 0; p < kMmaTilesM; ++p)
      for (int64_t q = 0; q < kMmaTilesN; ++q)
        for (int64_t i = 0; i < 4; ++i) {
          auto [rowOffset, columnOffset] = getMmaResultPosition(lane, p, q, i);
          Value row = add(firstRow, rowOffset);
          Value column = add(firstColumn, columnOffset);
          Value inside = arith::AndIOp::create(
              b, loc, isBelow(row, rows), isBelow(column, constant(kernel.n)));
          int64_t index = getMmaResultIndex(p, q, i);
          emitIf(inside,
                 [&] { emitEpilogueStore(resultAt(index), row, column); });
        }
  }

  /// Blocks of 4 warps along N, each warp 32 rows x 32 columns of output.
  void emitMma() {
    int64_t rowsPerBlock = kMmaWarpRows;
    int64_t columnsPerWarp = kMmaWarpColumns;
    Value gridX =
        constant(llvm::divideCeil(kernel.n, columnsPerWarp * kWarpsPerBlock));
    Value gridY = rowBlocks(rowsPerBlock);
    // With emulate, the lanes are loops inside each emulated warp.
    int64_t blockX = emulate ? 1 : kWarpSize;
    emitGrid("mma", gridX, gridY, blockX, kWarpsPerBlock, [&](ThreadIds ids) {
      Value firstRow = mul(ids.blockY, rowsPerBlock);
      Value firstColumn = mul(add(mul(ids.blockX, kWarpsPerBlock), ids.threadY),
                              columnsPerWarp);
      if (emulate)
        emitEmulatedMmaWarp(firstRow, firstColumn);
      else
        emitMmaWarp(ids.threadX, firstRow, firstColumn);
    });
  }

  void emitMmaWarp(Value laneId, Value firstRow, Value firstColumn) {
    MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
    SmallVector<Value> accs =
        emitMmaSteps(lane, constant(0), constant(kernel.k));
    emitMmaStores(lane, firstRow, firstColumn,
                  [&](int64_t index) { return getMmaResult(accs, index); });
  }

  /// Result `index` (getMmaResultIndex) of a lane's accumulators.
  Value getMmaResult(ArrayRef<Value> accs, int64_t index) {
    int64_t i = index % 4;
    return vector::ExtractOp::create(b, loc, accs[index / 4],
                                     ArrayRef<int64_t>{i / 2, i % 2});
  }

  /// The lane's accumulators (vector<2x2xf32> per tile, getMmaResultIndex
  /// order / 4) after the mma steps of k in [kBegin, kEnd).
  SmallVector<Value> emitMmaSteps(const MmaLane &lane, Value kBegin,
                                  Value kEnd) {
    auto accType = VectorType::get({2, 2}, b.getF32Type());
    Value zeros = zeroVector(accType);
    SmallVector<Value> inits(kMmaTilesM * kMmaTilesN, zeros);
    auto loop = scf::ForOp::create(
        b, loc, kBegin, kEnd, constant(kMmaK * mmaChunks), inits,
        [&](OpBuilder &nb, Location, Value k0, ValueRange iterAccs) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SmallVector<Value> accs(iterAccs);
          MmaOperands operands = loadMmaOperands(lane, k0);
          for (int64_t j = 0; j < mmaChunks; ++j)
            for (int64_t p = 0; p < kMmaTilesM; ++p)
              for (int64_t q = 0; q < kMmaTilesN; ++q) {
                Value &acc = accs[p * kMmaTilesN + q];
                acc = nvgpu::MmaSyncOp::create(
                    b, loc, operands.a[j][p], operands.bFragments[j][q], acc,
                    ArrayRef<int64_t>{kMmaM, kMmaN, kMmaK});
              }
          scf::YieldOp::create(b, loc, accs);
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// Batches of at most one 32-row block: the plain mma kernel runs only
  /// N / 128 blocks then (32 for a 4096-column layer, a quarter of an
  /// H100's SMs) and streams the weights through few warps. So a block of
  /// 4 warps computes one 32 x 32 output tile, warp w over the w-th quarter
  /// of K: N / 32 blocks, 4 times the warps reading weights. The partial
  /// tiles meet in shared memory ([warp][result][lane]: a store of the 32
  /// lanes hits 32 banks); warp 0 adds them in warp order and stores.
  void emitMmaKSplit() {
    Value gridX = constant(llvm::divideCeil(kernel.n, kMmaWarpColumns));
    Value gridY = rowBlocks(kMmaWarpRows);
    int64_t kPerWarp = kernel.k / kWarpsPerBlock;
    if (emulate)
      return emitEmulatedMmaKSplit(gridX, gridY, kPerWarp);
    MemRefType partialType = getWarpPartialsType(getWorkgroupMemorySpace());
    emitGrid("mma_ksplit", gridX, gridY, kWarpSize, kWarpsPerBlock,
             [&](ThreadIds ids) {
               // qtensor-use-device-memory makes it a workgroup attribution.
               Value partials = memref::AllocaOp::create(b, loc, partialType);
               Value firstRow = mul(ids.blockY, kMmaWarpRows);
               Value firstColumn = mul(ids.blockX, kMmaWarpColumns);
               MmaLane lane = getMmaLane(ids.threadX, firstRow, firstColumn);
               Value kBegin = mul(ids.threadY, kPerWarp);
               SmallVector<Value> accs =
                   emitMmaSteps(lane, kBegin, add(kBegin, constant(kPerWarp)));
               for (int64_t index = 0; index < kMmaResultsPerLane; ++index)
                 memref::StoreOp::create(
                     b, loc, getMmaResult(accs, index), partials,
                     ValueRange{ids.threadY, constant(index), ids.threadX});
               gpu::BarrierOp::create(b, loc);
               emitIf(isBelow(ids.threadY, constant(1)), [&] {
                 emitMmaStores(lane, firstRow, firstColumn, [&](int64_t index) {
                   return sumWarpPartials(partials, ids.threadX, index);
                 });
               });
             });
  }

  /// partials[0][index][lane] + ... + partials[3][index][lane], in that
  /// order.
  Value sumWarpPartials(Value partials, Value lane, int64_t index) {
    Value sum;
    for (int64_t warp = 0; warp < kWarpsPerBlock; ++warp) {
      Value partial = memref::LoadOp::create(
          b, loc, partials, ValueRange{constant(warp), constant(index), lane});
      sum = sum ? arith::AddFOp::create(b, loc, sum, partial) : partial;
    }
    return sum;
  }

  /// The K-split kernel with its four warps one after the other in each
  /// emulated block, each over its quarter of K into its own partial tile,
  /// then warp 0's sums and stores.
  void emitEmulatedMmaKSplit(Value gridX, Value gridY, int64_t kPerWarp) {
    emitEmulatedBlocks(gridX, gridY, [&](Value blockX, Value blockY) {
      emitEmulatedMmaKSplitBlock(mul(blockY, kMmaWarpRows),
                                 mul(blockX, kMmaWarpColumns), kPerWarp);
    });
  }

  void emitEmulatedMmaKSplitBlock(Value firstRow, Value firstColumn,
                                  int64_t kPerWarp) {
    // As in shared memory on the GPU.
    Value partials = memref::AllocOp::create(b, loc, getWarpPartialsType());
    for (int64_t warp = 0; warp < kWarpsPerBlock; ++warp)
      emitEmulatedMmaSteps(partials, constant(warp), firstRow, firstColumn,
                           constant(warp * kPerWarp),
                           constant((warp + 1) * kPerWarp));
    emitLaneLoop([&](Value laneId) {
      MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
      emitMmaStores(lane, firstRow, firstColumn, [&](int64_t index) {
        return sumWarpPartials(partials, laneId, index);
      });
    });
  }

  /// The mma kernel for f16/bf16 batches above small-m: the K-split one
  /// when the batch fits one 32-row block and 4 warps can share K in whole
  /// steps, else the plain one; with a dynamic batch both, chosen at launch
  /// time.
  void emitTensorCores() {
    if (kernel.k % (kWarpsPerBlock * kMmaK * mmaChunks) != 0)
      return emitMma();
    emitByBatchSize(
        kMmaWarpRows, [&] { emitMmaKSplit(); }, [&] { emitMma(); });
  }

  /// Runs `body(lane)` for the 32 lanes of an emulated warp, one after the
  /// other.
  void emitLaneLoop(function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, constant(0), constant(kWarpSize),
                                   constant(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }

  /// The warp's 32 lanes as loops, an mma as what it computes: every lane
  /// writes its registers to the [C, 32, 16] A and [C, 32, 16] (column, k)
  /// B tiles at the positions the fragment layout gives them, then every
  /// lane adds, for each of its results, the row-by-column products of each
  /// chunk to its accumulators (kept in a [1, 32, 32] buffer, [warp][result]
  /// [lane], between steps).
  /// So the emulation checks the renaming of k and the fragment positions.
  void emitEmulatedMmaWarp(Value firstRow, Value firstColumn) {
    // Heap buffers per emulated warp, as in emitEmulatedSharedTiled.
    Value accs = memref::AllocOp::create(
        b, loc,
        MemRefType::get({1, kMmaResultsPerLane, kWarpSize}, b.getF32Type()));
    Value warp = constant(0);
    emitEmulatedMmaSteps(accs, warp, firstRow, firstColumn, constant(0),
                         constant(kernel.k));
    emitLaneLoop([&](Value laneId) {
      MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
      emitMmaStores(lane, firstRow, firstColumn, [&](int64_t index) -> Value {
        return memref::LoadOp::create(
            b, loc, accs, ValueRange{warp, constant(index), laneId});
      });
    });
  }

  /// The emulated warp's mma steps of k in [kBegin, kEnd): each lane's
  /// results go to accs[warp][result][lane].
  void emitEmulatedMmaSteps(Value accs, Value warp, Value firstRow,
                            Value firstColumn, Value kBegin, Value kEnd) {
    Type f32 = b.getF32Type();
    Value aTile = memref::AllocOp::create(
        b, loc, MemRefType::get({mmaChunks, kMmaWarpRows, kMmaK}, f32));
    Value bTile = memref::AllocOp::create(
        b, loc, MemRefType::get({mmaChunks, kMmaWarpColumns, kMmaK}, f32));
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    emitLaneLoop([&](Value lane) {
      for (int64_t index = 0; index < kMmaResultsPerLane; ++index)
        memref::StoreOp::create(b, loc, zero, accs,
                                ValueRange{warp, constant(index), lane});
    });
    auto pairType = VectorType::get({2}, f32);
    auto storePair = [&](Value pair, Value tile, Value j, Value position,
                         Value k) {
      Value wide = arith::ExtFOp::create(b, loc, pairType, pair);
      vector::StoreOp::create(b, loc, wide, tile, ValueRange{j, position, k});
    };
    auto steps =
        scf::ForOp::create(b, loc, kBegin, kEnd, constant(kMmaK * mmaChunks));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(steps.getBody()->getTerminator());
    Value k0 = steps.getInductionVar();
    emitLaneLoop([&](Value laneId) {
      MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
      MmaOperands operands = loadMmaOperands(lane, k0);
      Value lowK = mul(lane.t, 2);
      Value highK = add(lowK, constant(kMmaK / 2));
      for (int64_t j = 0; j < mmaChunks; ++j) {
        Value chunk = constant(j);
        auto row = [&](Value fragment, int64_t r) -> Value {
          return vector::ExtractOp::create(b, loc, fragment, r);
        };
        for (int64_t p = 0; p < kMmaTilesM; ++p) {
          Value top = add(lane.g, constant(kMmaM * p));
          Value bottom = add(top, constant(kMmaM / 2));
          Value a = operands.a[j][p];
          storePair(row(a, 0), aTile, chunk, top, lowK);
          storePair(row(a, 1), aTile, chunk, bottom, lowK);
          storePair(row(a, 2), aTile, chunk, top, highK);
          storePair(row(a, 3), aTile, chunk, bottom, highK);
        }
        for (int64_t q = 0; q < kMmaTilesN; ++q) {
          Value column = add(lane.g, constant(kMmaN * q));
          Value fragment = operands.bFragments[j][q];
          storePair(row(fragment, 0), bTile, chunk, column, lowK);
          storePair(row(fragment, 1), bTile, chunk, column, highK);
        }
      }
    });
    auto kType = VectorType::get({kMmaK}, f32);
    emitLaneLoop([&](Value laneId) {
      MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
      for (int64_t j = 0; j < mmaChunks; ++j)
        for (int64_t p = 0; p < kMmaTilesM; ++p)
          for (int64_t q = 0; q < kMmaTilesN; ++q)
            for (int64_t i = 0; i < 4; ++i) {
              auto [row, column] = getMmaResultPosition(lane, p, q, i);
              Value aRow = vector::LoadOp::create(
                  b, loc, kType, aTile,
                  ValueRange{constant(j), row, constant(0)});
              Value bColumn = vector::LoadOp::create(
                  b, loc, kType, bTile,
                  ValueRange{constant(j), column, constant(0)});
              Value index = constant(getMmaResultIndex(p, q, i));
              SmallVector<Value> at = {warp, index, laneId};
              Value acc = memref::LoadOp::create(b, loc, accs, at);
              Value sum = reduce(arith::MulFOp::create(b, loc, aRow, bColumn));
              memref::StoreOp::create(
                  b, loc, arith::AddFOp::create(b, loc, acc, sum), accs, at);
            }
    });
  }

  /// Lane `lane`'s partial sums for each column: slices k = lane * V +
  /// 32 * V * j, in order of j. Groups of kSplitKLoadsInFlight k steps (a
  /// weight slice of each column per step) are loaded before the first of
  /// them is used; the k steps left over (the lane's count of j need not be
  /// a multiple) go one at a time.
  SmallVector<Value> emitLanePartialSums(Value lane, Value row,
                                         ValueRange columns) {
    Value lower = mul(lane, vectorWidth);
    int64_t step = kWarpSize * vectorWidth;
    int64_t group = kSplitKLoadsInFlight;
    // The lane's slice count ceil((K - lower) / step); lower < step, so the
    // dividend is at least K.
    Value slices = arith::DivUIOp::create(
        b, loc,
        arith::SubIOp::create(b, loc, constant(kernel.k + step - 1), lower),
        constant(step));
    Value grouped =
        add(lower, mul(arith::DivUIOp::create(b, loc, slices, constant(group)),
                       group * step));
    int64_t inputAlign = getInputAlignment();
    SmallVector<Value> zeros(
        columns.size(),
        zeroVector(VectorType::get({vectorWidth}, b.getF32Type())));
    auto groups = scf::ForOp::create(
        b, loc, lower, grouped, constant(group * step), zeros,
        [&](OpBuilder &nb, Location, Value k0, ValueRange accs) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SmallVector<Value> ks;
          SmallVector<SmallVector<Value>> weights(group);
          for (int64_t i = 0; i < group; ++i) {
            ks.push_back(add(k0, constant(i * step)));
            for (Value column : columns)
              weights[i].push_back(loadWeightSlice(column, ks[i]));
          }
          SmallVector<Value> sums(accs);
          for (int64_t i = 0; i < group; ++i)
            sums = emitFmas(weights[i], row, ks[i], sums, inputAlign);
          scf::YieldOp::create(b, loc, sums);
        });
    return emitPartialSums(row, columns, grouped, step, groups.getResults());
  }

  OpBuilder &b;
  Location loc;
  const FusedKernel &kernel;
  bool emulate;
  int64_t tileM;
  int64_t splitKColumns;
  std::string stem;
  Type elementType;
  int64_t vectorWidth = 1;
  /// k chunks of 16 per tensor-core k step; 0: no tensor-core kernel.
  int64_t mmaChunks = 0;
  /// Weight bytes per row the shared-memory tiled kernel stages per step;
  /// 0: no such kernel (16 does not divide K, or 64 does not).
  int64_t sharedTileK = 0;
  Value rows;
};

/// Erases `buffer`'s allocation when nothing uses it any more.
void eraseIfUnused(Value buffer) {
  if (auto alloc = buffer.getDefiningOp<memref::AllocOp>();
      alloc && alloc->use_empty())
    alloc->erase();
}

/// gpu.barrier orders the block's memory accesses but declares no memory
/// effects, which the buffer-deallocation analysis that runs after this
/// pass rejects. This model states what it does: it may read and write any
/// memory.
struct BarrierMemoryEffects
    : MemoryEffectOpInterface::ExternalModel<BarrierMemoryEffects,
                                             gpu::BarrierOp> {
  void
  getEffects(Operation *,
             SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                 &effects) const {
    effects.emplace_back(MemoryEffects::Read::get());
    effects.emplace_back(MemoryEffects::Write::get());
  }
};

class MapKernelsToGpuPass
    : public mlir::qtensor::impl::QTensorMapKernelsToGpuBase<MapKernelsToGpuPass> {
public:
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    registry.addExtension(+[](MLIRContext *context, gpu::GPUDialect *) {
      gpu::BarrierOp::attachInterface<BarrierMemoryEffects>(*context);
    });
  }

  LogicalResult initialize(MLIRContext *context) override {
    if (std::optional<std::string> problem =
            checkKernelMappingOptions(smallM, tileM, splitKColumns))
      return emitError(UnknownLoc::get(context))
             << "qtensor-map-kernels-to-gpu: " << *problem;
    return success();
  }

  void runOnOperation() override {
    SmallVector<FusedKernel> kernels;
    getOperation().walk([&](linalg::GenericOp generic) {
      if (std::optional<FusedKernel> kernel = matchFusedKernel(generic))
        kernels.push_back(*kernel);
    });
    for (auto [index, matched] : llvm::enumerate(kernels)) {
      // Lambdas cannot capture structured bindings in C++17.
      FusedKernel &kernel = matched;
      OpBuilder builder(kernel.epilogue);
      KernelEmitter(builder, kernel.epilogue.getLoc(), kernel, emulate, tileM,
                    tensorCores, splitKColumns, getKernelStem(kernel, index))
          .emit(smallM);
      Value acc = kernel.contraction.getDpsInitOperand(0)->get();
      Value converted = kernel.convert.getDpsInitOperand(0)->get();
      kernel.epilogue->erase();
      kernel.contraction->erase();
      kernel.fill->erase();
      eraseIfUnused(acc);
      // A conversion shared by several kernels stays until the last one.
      if (llvm::all_of(converted.getUsers(), [&](Operation *user) {
            return user == kernel.convert.getOperation();
          })) {
        kernel.convert->erase();
        eraseIfUnused(converted);
      }
    }
  }
};

} // namespace

std::optional<std::string>
mlir::qtensor::checkKernelMappingOptions(int64_t smallM, int64_t tileM,
                                         int64_t splitKColumns) {
  if (smallM < 0)
    return "small-m must be >= 0, got " + std::to_string(smallM);
  if (tileM < 1 || tileM > 16)
    return "tile-m must be in [1, 16], got " + std::to_string(tileM);
  if (splitKColumns < 1 || splitKColumns > 4)
    return "splitk-columns must be in [1, 4], got " +
           std::to_string(splitKColumns);
  return std::nullopt;
}
