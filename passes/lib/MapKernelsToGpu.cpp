//===- MapKernelsToGpu.cpp - fused int8 linears as GPU kernels ------------===//
//
// Rewrites each bufferized fused kernel (weight conversion + zero fill +
// contraction + epilogue, as qtensor-lower-to-linalg emits them) into the
// GPU kernels its `qtensor.gpu_kernels` attribute names
// (qtensor-configure-gpu-kernels), behind an scf.if chain on the batch size.
// The kernel families are emitted by passes/lib/GpuKernels/; this pass only
// reads the configuration, dispatches and erases the linalg ops.
//
//===----------------------------------------------------------------------===//

#include "GpuKernels/FusedKernel.h"
#include "GpuKernels/GpuKernelConfig.h"
#include "GpuKernels/KernelEmitter.h"

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

#include "llvm/ADT/SetVector.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORMAPKERNELSTOGPU
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

/// Emits the variant `config` describes.
static void emitVariant(const KernelEmitter &base, GpuKernelAttr config) {
  switch (config.getFamily()) {
  case GpuKernelFamily::SplitK:
    return SplitKEmitter(base, config).emit();
  case GpuKernelFamily::Tiled:
  case GpuKernelFamily::SharedTiled:
    return TiledEmitter(base, config).emit();
  case GpuKernelFamily::Mma:
  case GpuKernelFamily::MmaKSplit:
    return MmaEmitter(base, config).emit();
  }
  llvm_unreachable("unknown kernel family");
}

/// Emits `variants` and the choice between them: the first for batches of
/// at most its `max_rows` rows, the others for the rest, in the same way.
static void emitVariants(KernelEmitter &base,
                         ArrayRef<GpuKernelAttr> variants) {
  if (variants.size() == 1)
    return emitVariant(base, variants.front());
  base.emitByBatchSize(
      *variants.front().getMaxRows(),
      [&] { emitVariant(base, variants.front()); },
      [&] { emitVariants(base, variants.drop_front()); });
}

/// Erases `buffer`'s allocation when nothing uses it any more.
static void eraseIfUnused(Value buffer) {
  if (auto alloc = buffer.getDefiningOp<memref::AllocOp>();
      alloc && alloc->use_empty())
    alloc->erase();
}

/// Erases `buffer` with the ops that write it once nothing else uses it:
/// a shared zero buffer after its last copy, a conversion buffer after its
/// last reader.
static void eraseIfOnlyWritten(Value buffer,
                               function_ref<bool(Operation *)> isWriter) {
  if (!llvm::all_of(buffer.getUsers(), isWriter))
    return;
  for (Operation *writer : llvm::make_early_inc_range(buffer.getUsers()))
    writer->erase();
  eraseIfUnused(buffer);
}

namespace {

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
    : public mlir::qtensor::impl::QTensorMapKernelsToGpuBase<
          MapKernelsToGpuPass> {
public:
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    registry.addExtension(+[](MLIRContext *context, gpu::GPUDialect *) {
      gpu::BarrierOp::attachInterface<BarrierMemoryEffects>(*context);
    });
  }

  LogicalResult initialize(MLIRContext *context) override {
    return checkGpuKernelOptions(context, getArgument(), getKernelOptions());
  }

  void runOnOperation() override {
    SmallVector<FusedKernel> kernels;
    getOperation().walk([&](linalg::GenericOp generic) {
      if (std::optional<FusedKernel> kernel = matchFusedKernel(generic))
        kernels.push_back(*kernel);
    });
    // Kernels the configuration step did not see get its choice with this
    // pass's options. All are checked before any is rewritten.
    GpuKernelOptions options = getKernelOptions();
    SmallVector<SmallVector<GpuKernelAttr>> configs;
    for (const FusedKernel &kernel : kernels) {
      Attribute config = kernel.epilogue->getAttr(kGpuKernelsAttr);
      if (!config) {
        configs.push_back(chooseGpuKernels(kernel, options));
        continue;
      }
      FailureOr<SmallVector<GpuKernelAttr>> checked =
          getCheckedGpuKernels(kernel, config);
      if (failed(checked))
        return signalPassFailure();
      configs.push_back(std::move(*checked));
    }
    llvm::SetVector<Value> conversions;
    for (auto [index, matched] : llvm::enumerate(kernels)) {
      // Lambdas cannot capture structured bindings in C++17.
      FusedKernel &kernel = matched;
      OpBuilder builder(kernel.epilogue);
      KernelEmitter base(builder, kernel.epilogue.getLoc(), kernel, emulate,
                         getKernelStem(kernel, index));
      emitVariants(base, configs[index]);
      Value acc = kernel.contraction.getDpsInitOperand(0)->get();
      kernel.epilogue->erase();
      kernel.contraction->erase();
      // Shared zeros stay while other kernels' copies read them.
      if (auto copy = dyn_cast<memref::CopyOp>(kernel.init)) {
        Value zeros = copy.getSource();
        copy->erase();
        eraseIfOnlyWritten(
            zeros, [](Operation *user) { return isa<linalg::FillOp>(user); });
      } else if (llvm::none_of(acc.getUsers(), [](Operation *user) {
                   return isa<memref::CopyOp>(user);
                 })) {
        kernel.init->erase();
        eraseIfUnused(acc);
      }
      conversions.insert(kernel.convert.getDpsInitOperand(0)->get());
    }
    // A conversion buffer that no kernel left reads is dead, with every
    // conversion written into it.
    for (Value converted : conversions)
      eraseIfOnlyWritten(converted, [&](Operation *user) {
        auto generic = dyn_cast<linalg::GenericOp>(user);
        return generic && isWeightConversionInto(generic, converted);
      });
  }

private:
  /// The kernel choice for kernels without qtensor.gpu_kernels.
  GpuKernelOptions getKernelOptions() const {
    return {smallM, tileM, tensorCores, splitKColumns};
  }
};

} // namespace
