//===- CpuPipeline.cpp - the CPU pass pipeline ----------------------------===//

#include "qtensor/Passes/CpuPipeline.h"

#include "qtensor/Passes/CpuKernelConfig.h"
#include "qtensor/Passes/FrontEnd.h"
#include "qtensor/Passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qtensor;

void mlir::qtensor::buildCpuPipeline(OpPassManager &pm,
                                     const CpuPipelineOptions &options) {
  buildFrontEnd(pm, options.quantization, options.fuse, options.packWeights,
                options.parameters);

  // Each kernel's shape and tile sizes, then register tiles, fused
  // producers, vectors. Tile sizes left at 0 are the target's.
  CpuKernelOptions defaults = getCpuKernelDefaults(options.vectorBits);
  auto orDefault = [](int64_t value, int64_t fallback) {
    return value != 0 ? value : fallback;
  };
  QTensorConfigureCpuKernelsOptions kernels;
  kernels.tileM = orDefault(options.tileM, defaults.tileM);
  kernels.tileN = orDefault(options.tileN, defaults.tileN);
  kernels.tileK = orDefault(options.tileK, defaults.tileK);
  kernels.gemvTileN = orDefault(options.gemvTileN, defaults.gemvTileN);
  kernels.maxPanelKiB = orDefault(options.maxPanelKiB, defaults.maxPanelKiB);
  kernels.parallelChunk = options.parallelChunk;
  // The op profile names linears and attention products while linalg
  // still shows them.
  if (options.profile)
    pm.addPass(createQTensorTagProfileOps());
  pm.addNestedPass<func::FuncOp>(createQTensorConfigureCpuKernels(kernels));
  QTensorTileAndVectorizeOptions tiling;
  tiling.tileM = kernels.tileM;
  tiling.tileN = kernels.tileN;
  tiling.tileK = kernels.tileK;
  tiling.gemvTileN = kernels.gemvTileN;
  tiling.maxPanelKiB = kernels.maxPanelKiB;
  tiling.vectorize = options.vectorize;
  tiling.parallelChunk = options.parallelChunk;
  pm.addNestedPass<func::FuncOp>(createQTensorTileAndVectorize(tiling));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.profile)
    pm.addPass(createQTensorInsertProfilePoints());

  // Tensors to buffers.
  addBufferization(pm);
  // Tile-sized temporaries (a one-row tile's partial sums) are allocated
  // once per parallel task, not once per tile.
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  // A result that is a view of an argument is returned as a clone.
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Accumulators stay in registers across each tile's K loop.
  if (options.vectorize)
    pm.addNestedPass<func::FuncOp>(createQTensorHoistAccumulators());
  // One sequential prefetch stream per GEMV tile (batch-1 decoding).
  pm.addNestedPass<func::FuncOp>(createQTensorPrefetchWeights());
  // Column chunks to OpenMP threads.
  if (options.parallelChunk > 0) {
    pm.addPass(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    // Drops the memref.alloca_scope around each task body (it holds no
    // alloca): the scope must stay one block, and the loops in it become
    // several once lowered to control flow.
    pm.addPass(createCanonicalizerPass());
  }

  // Everything to the LLVM dialect.
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass());
  // Fully unrolled N-D transfers: no stack temporaries inside tile loops.
  VectorTransferToSCFOptions vectorToSCF;
  vectorToSCF.enableFullUnroll();
  pm.addPass(createConvertVectorToSCFPass(vectorToSCF));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // exp, tanh, erf, log as polynomials (vector code); other math with an
  // LLVM intrinsic stays vector code too, what has none calls the C math
  // library, element by element. All before the vector lowering, which then
  // lowers the extracts the libm calls need.
  //
  // x86 has no bf16 arithmetic (short of AVX512-BF16): LLVM would promote
  // each op to f32 and round back with a compiler-rt call the JIT does not
  // link. Each bf16 arith and math op runs in f32 and rounds its result to
  // bf16 (as PyTorch's CPU kernels do), and the rounding is integer code
  // (qtensor-expand-bf16).
  arith::ArithEmulateUnsupportedFloatsOptions bf16Arith;
  bf16Arith.sourceTypeStrs = {"bf16"};
  pm.addPass(math::createMathExtendToSupportedTypes());
  pm.addPass(arith::createArithEmulateUnsupportedFloats(bf16Arith));
  pm.addPass(createQTensorApproximateMath());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createQTensorExpandBf16());
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  // Outer products keep N in vector lanes: one FMA per (m, k) pair.
  vectorToLLVM.vectorContractLowering =
      vector::VectorContractLowering::OuterProduct;
  vectorToLLVM.vectorTransposeLowering =
      vector::VectorTransposeLowering::Shuffle16x16;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  // Buffers come from the runtime's cache (runtime/light/BufferCache.cpp).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  if (options.parallelChunk > 0)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::qtensor::registerCpuPipeline() {
  PassPipelineRegistration<CpuPipelineOptions>(
      "qtensor-cpu-pipeline",
      "Compile stage-0 qtensor IR (float weights) to the LLVM dialect for the "
      "host CPU: quantize, decompose, fuse, extract parameters, lower to "
      "linalg, tile and vectorize, bufferize, convert to LLVM",
      buildCpuPipeline);
}
