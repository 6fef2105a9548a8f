//===- GpuPipeline.cpp - the qtensor GPU pipeline -------------------------===//

#include "qtensor/Passes/GpuPipeline.h"

#include "qtensor/Passes/FrontEnd.h"
#include "qtensor/Passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qtensor;

/// Host-side lowering shared by the emulated kernels and the CPU tail.
static void addCpuLowering(OpPassManager &pm) {
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createQTensorExpandBf16());
  pm.addPass(createConvertVectorToLLVMPass());
  // Buffers come from the runtime's cache (runtime/light/BufferCache.cpp).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::qtensor::buildGpuPipeline(OpPassManager &pm,
                                     const GpuPipelineOptions &options) {
  // Target options first: a bad chip or a missing ptxas stops everything
  // before codegen, as one diagnostic (the pass checks in initialize()).
  QTensorCheckGpuTargetOptions target;
  target.chip = options.chip;
  target.format = options.format;
  target.toolkit = options.toolkit;
  pm.addPass(createQTensorCheckGpuTarget(target));

  // qtensor stages 0 -> 3 and the parameters, as in the CPU pipeline.
  buildFrontEnd(pm, options.quantization, options.fuse, /*packWeights=*/false,
                options.parameters);

  // Tensors to buffers: the kernels are written on memrefs.
  addBufferization(pm);

  // Fused linears to GPU kernels: the choice of kernels and tile
  // parameters (qtensor.gpu_kernels), then their code.
  QTensorConfigureGpuKernelsOptions config;
  config.smallM = options.smallM;
  config.tileM = options.tileM;
  config.tensorCores = options.tensorCores;
  config.splitKColumns = options.splitKColumns;
  pm.addNestedPass<func::FuncOp>(createQTensorConfigureGpuKernels(config));
  QTensorMapKernelsToGpuOptions mapping;
  mapping.emulate = options.emulate;
  pm.addNestedPass<func::FuncOp>(createQTensorMapKernelsToGpu(mapping));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Row reductions and float matmuls: kernels of their own.
  QTensorMapLinalgToGpuOptions linalgMapping;
  linalgMapping.emulate = options.emulate;
  pm.addNestedPass<func::FuncOp>(createQTensorMapLinalgToGpu(linalgMapping));
  // Whatever is not a fused linear (an unfused program, a bias add or an
  // activation that did not fuse, a copy into a slice) becomes plain
  // parallel loops: with
  // emulate they run as they are, else blocks of 128 threads along the
  // innermost dimension.
  pm.addNestedPass<func::FuncOp>(createQTensorStridedCopiesToLinalg());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  if (!options.emulate) {
    pm.addNestedPass<func::FuncOp>(
        createParallelLoopTilingPass({1, 128}, /*noMinMaxBounds=*/true));
    pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
    pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  }
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  // A result that is a view of an argument is returned as a clone.
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createCanonicalizerPass());

  if (options.emulate) {
    addCpuLowering(pm);
    return;
  }

  // Host buffers in device memory, kernels into gpu.modules.
  pm.addNestedPass<func::FuncOp>(createQTensorUseDeviceMemory());
  // Constants (which canonicalization hoisted out of the launch bodies)
  // go back in, instead of becoming kernel arguments.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  GpuNVVMAttachTargetOptions nvvm;
  nvvm.chip = options.chip;
  nvvm.features = getGpuChipFeatures(options.chip).value_or("");
  nvvm.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(nvvm));
  // Kernels to NVVM.
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createQTensorAlignWorkgroupMemory());
  kernels.addPass(createQTensorConvertMmaSyncToNvvm());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  // Host code to LLVM (mgpu* calls), kernels to PTX / cubin / fatbin.
  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  // The toolkit root, so that the serializer finds ptxas even where it only
  // looks in PATH and $CUDA_*; PTX output needs it too, for libdevice
  // (rsqrt, erf, exp, ... are __nv_* calls).
  if (std::optional<std::string> root = findCudaToolkitRoot(options.toolkit))
    binary.toolkitPath = *root;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::qtensor::registerGpuPipeline() {
  PassPipelineRegistration<GpuPipelineOptions>(
      "qtensor-gpu-pipeline",
      "Compile stage-0 qtensor IR (float weights) for NVIDIA GPUs: quantize, "
      "decompose, fuse, extract parameters, lower to linalg, bufferize, choose "
      "and emit the fused linears' GPU kernels, outline, NVVM, host code "
      "calling the mgpu* runtime, gpu.binary (PTX, cubin or fatbin)",
      buildGpuPipeline);
}
