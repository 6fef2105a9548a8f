//===- GpuPipeline.h - the qtensor GPU pipeline -----------------*- C++ -*-===//

#ifndef QTENSOR_PASSES_GPUPIPELINE_H
#define QTENSOR_PASSES_GPUPIPELINE_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <optional>
#include <string>

namespace mlir {
namespace qtensor {

/// Options of `--qtensor-gpu-pipeline`.
struct GpuPipelineOptions : public PassPipelineOptions<GpuPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("Target GPU: sm_80, sm_86, sm_89, sm_90 or sm_90a"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary: isa (PTX text), bin (cubin, needs "
                     "ptxas) or fatbin (needs ptxas and fatbinary)"),
      llvm::cl::init("isa")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit root searched first for ptxas and "
                     "fatbinary"),
      llvm::cl::init("")};
  PassOptions::Option<int64_t> optLevel{
      *this, "opt-level",
      llvm::cl::desc("Optimization level of the NVPTX code generator"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> quantization{
      *this, "quantization",
      llvm::cl::desc("Quantization scheme of the constant weights (stage "
                     "1): none, int8 (qtensor/Support/QuantScheme.h)"),
      llvm::cl::init("int8")};
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Fuse each linear into one kernel (stage 3); off "
                     "compiles the unfused stage-2 program with the generic "
                     "loop mapping"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> parameters{
      *this, "parameters",
      llvm::cl::desc("Move weight-sized constants into entry-point "
                     "parameters (required unless emulate=true)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> smallM{
      *this, "small-m",
      llvm::cl::desc("Batches of at most this many rows run the split-K "
                     "(GEMV-like) kernel"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> tileM{
      *this, "tile-m",
      llvm::cl::desc("Output rows per thread in the tiled kernel"),
      llvm::cl::init(4)};
  PassOptions::Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("f16/bf16 batches above small-m run the tensor-core "
                     "(mma.sync) kernel when K is a multiple of 16; off "
                     "runs the tiled kernel"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> splitKColumns{
      *this, "splitk-columns",
      llvm::cl::desc("Output columns per warp in the split-K kernel (1-4): "
                     "each activation slice a lane loads serves that many "
                     "weight rows"),
      llvm::cl::init(1)};
  PassOptions::Option<bool> emulate{
      *this, "emulate",
      llvm::cl::desc("Stop before GPU outlining and compile the kernels' "
                     "loop nests for the host CPU (LLVM dialect, runs under "
                     "mlir-runner): checks tiling without a GPU"),
      llvm::cl::init(false)};
};

/// Stage-0 IR (float weights) to host LLVM dialect + a `gpu.binary` holding
/// the kernels for `options.chip` (or, with `emulate`, to CPU code running
/// the same kernel loop nests).
void buildGpuPipeline(OpPassManager &pm, const GpuPipelineOptions &options);

/// Why kernel-choice options (`qtensor-configure-gpu-kernels`', which the
/// pipeline passes on) are out of range, e.g. "tile-m must be in [1, 16],
/// got 0"; nullopt when they are valid. Shared by the passes and by callers
/// that check options before compiling.
std::optional<std::string>
checkKernelMappingOptions(int64_t smallM, int64_t tileM, int64_t splitKColumns);

/// Registers `--qtensor-gpu-pipeline` with the global pass registry.
void registerGpuPipeline();

/// The PTX feature string the pipeline compiles `chip` with, or nullopt
/// when the chip is not supported.
std::optional<std::string> getGpuChipFeatures(llvm::StringRef chip);

/// The path of CUDA tool `name` (ptxas, fatbinary): `toolkit`/bin, then
/// PATH, then $CUDA_ROOT, $CUDA_HOME, $CUDA_PATH (each + /bin), where
/// gpu-module-to-binary looks. nullopt when it is nowhere.
std::optional<std::string> findCudaTool(llvm::StringRef name,
                                        llvm::StringRef toolkit);

/// The toolkit root gpu-module-to-binary is given: the first of `toolkit`,
/// the root above the ptxas findCudaTool finds, $CUDA_ROOT, $CUDA_HOME,
/// $CUDA_PATH, /usr/local/cuda and /usr/lib/cuda that holds libdevice (the
/// __nv_* math functions of rsqrt, exp, erf). The ptxas in PATH may be a
/// wrapper script outside the toolkit (/usr/local/bin/ptxas), whose root
/// has no libdevice. Falls back to the root above ptxas, else nullopt.
std::optional<std::string> findCudaToolkitRoot(llvm::StringRef toolkit);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_GPUPIPELINE_H
