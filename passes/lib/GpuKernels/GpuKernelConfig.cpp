//===- GpuKernelConfig.cpp - the choice of GPU kernels --------------------===//
//
// The kernel configuration step: for each fused int8 linear, the kernel
// families that run it by batch size and their tile parameters, recorded
// on the IR (qtensor-configure-gpu-kernels) for the emitters
// (qtensor-map-kernels-to-gpu) to follow. Nothing here builds kernel code.
//
//===----------------------------------------------------------------------===//

#include "GpuKernelConfig.h"

#include "FusedKernel.h"
#include "KernelGeometry.h"

#include "qtensor/Passes/GpuPipeline.h"
#include "qtensor/Passes/Passes.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORCONFIGUREGPUKERNELS
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

/// The largest power of two in [min, max] that divides `value`; 0 if none.
static int64_t getLargestDividingPowerOfTwo(int64_t value, int64_t min,
                                            int64_t max) {
  for (int64_t candidate = max; candidate >= min; candidate /= 2)
    if (value % candidate == 0)
      return candidate;
  return 0;
}

/// Weight bytes per load: the widest load that tiles every weight row (16,
/// one 128-bit load, when K allows). Rows start at multiples of K bytes, so
/// the alignment holds for any row of a buffer that is itself aligned
/// (device allocations are 256-byte aligned).
static int64_t getVectorWidth(int64_t k) {
  return getLargestDividingPowerOfTwo(k, 1, kMaxVectorWidth);
}

/// Tensor cores take f16 and bf16 in k steps of 16; a lane reads 4 * C
/// consecutive k per step of 16 * C, C = 4 (16-byte weight loads) when K
/// allows. 0: no tensor-core kernel.
static int64_t getMmaChunks(const FusedKernel &kernel, bool tensorCores) {
  if (!tensorCores || kernel.getElementType().isF32() || kernel.k % kMmaK != 0)
    return 0;
  return getLargestDividingPowerOfTwo(kernel.k / kMmaK, 1, kMaxMmaChunks);
}

/// Weight bytes per row the shared-memory tiled kernel stages per step:
/// deeper tiles put more of each thread's weight loads in flight per
/// barrier pair. 0: no such kernel (16 does not divide K, or 64 does not).
static int64_t getSharedTileK(int64_t k) {
  if (getVectorWidth(k) != kMaxVectorWidth)
    return 0;
  return getLargestDividingPowerOfTwo(k, kSharedTileChunk, kSharedTileMaxK);
}

/// `variant` for batches of any size.
static GpuKernelAttr withoutMaxRows(GpuKernelAttr variant) {
  return GpuKernelAttr::get(variant.getContext(), variant.getFamily(),
                            std::nullopt, variant.getVectorWidth(),
                            variant.getTileM(), variant.getTileK(),
                            variant.getColumns(), variant.getChunks());
}

/// Batches of at most small-m rows run split-K (GEMV-like). Larger ones run
/// on tensor cores for f16/bf16 when K allows (the K-split mma kernel up to
/// one 32-row block when its 4 warps can share K in whole steps), else the
/// tiled kernel, through shared memory when 64 divides K.
SmallVector<GpuKernelAttr>
mlir::qtensor::chooseGpuKernels(const FusedKernel &kernel,
                                const GpuKernelOptions &options) {
  MLIRContext *context = kernel.epilogue->getContext();
  int64_t vectorWidth = getVectorWidth(kernel.k);
  SmallVector<GpuKernelAttr> variants = {GpuKernelAttr::get(
      context, GpuKernelFamily::SplitK, options.smallM, vectorWidth,
      /*tileM=*/0, /*tileK=*/0, options.splitKColumns, /*chunks=*/0)};
  if (int64_t chunks = getMmaChunks(kernel, options.tensorCores)) {
    if (kernel.k % (kWarpsPerBlock * kMmaK * chunks) == 0)
      variants.push_back(GpuKernelAttr::get(
          context, GpuKernelFamily::MmaKSplit, kMmaWarpRows, /*vectorWidth=*/0,
          /*tileM=*/0, /*tileK=*/0, /*columns=*/0, chunks));
    variants.push_back(
        GpuKernelAttr::get(context, GpuKernelFamily::Mma, std::nullopt,
                           /*vectorWidth=*/0, /*tileM=*/0, /*tileK=*/0,
                           /*columns=*/0, chunks));
  } else if (int64_t tileK = getSharedTileK(kernel.k)) {
    variants.push_back(GpuKernelAttr::get(context, GpuKernelFamily::SharedTiled,
                                          std::nullopt, /*vectorWidth=*/0,
                                          options.tileM, tileK, /*columns=*/0,
                                          /*chunks=*/0));
  } else {
    variants.push_back(
        GpuKernelAttr::get(context, GpuKernelFamily::Tiled, std::nullopt,
                           vectorWidth, options.tileM,
                           /*tileK=*/0, /*columns=*/0, /*chunks=*/0));
  }
  int64_t rows = kernel.getStaticRows();
  if (ShapedType::isDynamic(rows))
    return variants;
  // A static batch runs one variant: the first whose bound it is within.
  for (GpuKernelAttr variant : variants)
    if (!variant.getMaxRows() || rows <= *variant.getMaxRows())
      return {withoutMaxRows(variant)};
  llvm_unreachable("the last variant has no bound");
}

/// Why `variant` cannot run `kernel`, or nullopt.
static std::optional<std::string> checkFits(const FusedKernel &kernel,
                                            GpuKernelAttr variant) {
  StringRef family = stringifyGpuKernelFamily(variant.getFamily());
  auto divides = [&](StringRef what,
                     int64_t divisor) -> std::optional<std::string> {
    if (kernel.k % divisor == 0)
      return std::nullopt;
    return ("'" + family + "' needs " + what +
            " to divide K = " + Twine(kernel.k) + ", got " + Twine(divisor))
        .str();
  };
  switch (variant.getFamily()) {
  case GpuKernelFamily::SplitK:
  case GpuKernelFamily::Tiled:
    return divides("vector_width", variant.getVectorWidth());
  case GpuKernelFamily::SharedTiled:
    return divides("tile_k", variant.getTileK());
  case GpuKernelFamily::Mma:
  case GpuKernelFamily::MmaKSplit: {
    Type elementType = kernel.getElementType();
    if (!elementType.isF16() && !elementType.isBF16()) {
      std::string name;
      llvm::raw_string_ostream os(name);
      os << elementType;
      return ("'" + family + "' needs f16 or bf16 activations, got " + name)
          .str();
    }
    if (variant.getFamily() == GpuKernelFamily::Mma)
      return divides("16 x chunks", kMmaK * variant.getChunks());
    return divides("64 x chunks", kWarpsPerBlock * kMmaK * variant.getChunks());
  }
  }
  llvm_unreachable("unknown kernel family");
}

FailureOr<SmallVector<GpuKernelAttr>>
mlir::qtensor::getCheckedGpuKernels(const FusedKernel &kernel, Attribute attr) {
  auto error = [&]() {
    return kernel.epilogue->emitOpError() << "'" << kGpuKernelsAttr << "'";
  };
  auto array = dyn_cast<ArrayAttr>(attr);
  if (!array || array.empty() ||
      !llvm::all_of(array, llvm::IsaPred<GpuKernelAttr>))
    return error() << " must be a non-empty array of #qtensor.gpu_kernel";
  SmallVector<GpuKernelAttr> variants(array.getAsRange<GpuKernelAttr>().begin(),
                                      array.getAsRange<GpuKernelAttr>().end());
  for (auto [index, variant] : llvm::enumerate(variants)) {
    bool last = index + 1 == variants.size();
    if (last == variant.getMaxRows().has_value())
      return error() << ": every variant but the last needs max_rows, the "
                        "last has none";
    if (std::optional<std::string> problem = checkFits(kernel, variant))
      return error() << ": " << *problem;
  }
  return variants;
}

std::optional<std::string>
mlir::qtensor::checkKernelMappingOptions(int64_t smallM, int64_t tileM,
                                         int64_t splitKColumns) {
  if (smallM < 0)
    return "small-m must be >= 0, got " + std::to_string(smallM);
  if (tileM < 1 || tileM > GpuKernelAttr::kMaxTileM)
    return "tile-m must be in [1, " + std::to_string(GpuKernelAttr::kMaxTileM) +
           "], got " + std::to_string(tileM);
  if (splitKColumns < 1 || splitKColumns > GpuKernelAttr::kMaxColumns)
    return "splitk-columns must be in [1, " +
           std::to_string(GpuKernelAttr::kMaxColumns) + "], got " +
           std::to_string(splitKColumns);
  return std::nullopt;
}

LogicalResult
mlir::qtensor::checkGpuKernelOptions(MLIRContext *context, StringRef pass,
                                     const GpuKernelOptions &options) {
  if (std::optional<std::string> problem = checkKernelMappingOptions(
          options.smallM, options.tileM, options.splitKColumns))
    return emitError(UnknownLoc::get(context)) << pass << ": " << *problem;
  return success();
}

namespace {

class ConfigureGpuKernelsPass
    : public mlir::qtensor::impl::QTensorConfigureGpuKernelsBase<
          ConfigureGpuKernelsPass> {
public:
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    return checkGpuKernelOptions(context, getArgument(), getKernelOptions());
  }

  void runOnOperation() override {
    GpuKernelOptions options = getKernelOptions();
    getOperation().walk([&](linalg::GenericOp generic) {
      std::optional<FusedKernel> kernel = matchFusedKernel(generic);
      if (!kernel)
        return;
      SmallVector<GpuKernelAttr> variants = chooseGpuKernels(*kernel, options);
      generic->setAttr(kGpuKernelsAttr,
                       ArrayAttr::get(generic.getContext(),
                                      SmallVector<Attribute>(variants.begin(),
                                                             variants.end())));
    });
  }

private:
  GpuKernelOptions getKernelOptions() const {
    return {smallM, tileM, tensorCores, splitKColumns};
  }
};

} // namespace
