//===- CpuPipeline.h - the CPU pass pipeline --------------------*- C++ -*-===//

#ifndef QTENSOR_PASSES_CPUPIPELINE_H
#define QTENSOR_PASSES_CPUPIPELINE_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
namespace qtensor {

/// Options of `--qtensor-cpu-pipeline`.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  PassOptions::Option<std::string> quantization{
      *this, "quantization",
      llvm::cl::desc("Quantization scheme of the constant weights (stage "
                     "1): none, int8 (qtensor/Support/QuantScheme.h)"),
      llvm::cl::init("int8")};
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Fuse transpose + mixed_mm + scale_mul (+ bias, relu) "
                     "into one kernel (stage 3); off compiles the unfused "
                     "stage-2 program"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> packWeights{
      *this, "pack-weights",
      llvm::cl::desc("Store constant int8 weights of fused kernels as "
                     "[K, N] (off by default: today's vectorization of the "
                     "[K, N] read is slower, see docs/passes.md)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> parameters{
      *this, "parameters",
      llvm::cl::desc("Move weight-sized constants into entry-point "
                     "parameters (off keeps them as globals in the code)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Width of the target CPU's widest vector registers: "
                     "512 (AVX-512) or 256 (AVX2); gives the tile sizes "
                     "left at 0"),
      llvm::cl::init(512)};
  PassOptions::Option<int64_t> tileM{
      *this, "tile-m",
      llvm::cl::desc("Output rows per register tile (0: from vector-bits)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> tileN{
      *this, "tile-n",
      llvm::cl::desc("Output columns per register tile (0: from "
                     "vector-bits)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> tileK{
      *this, "tile-k",
      llvm::cl::desc("Reduction step inside a tile (0: from vector-bits)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> gemvTileN{
      *this, "gemv-tile-n",
      llvm::cl::desc("Output columns per one-row tile (0: from "
                     "vector-bits)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> maxPanelKiB{
      *this, "max-panel-kib",
      llvm::cl::desc("Largest float weight panel register tiles share (0: "
                     "from vector-bits)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> parallelChunk{
      *this, "parallel-chunk",
      llvm::cl::desc("Output columns per parallel task (OpenMP threads; the "
                     "JIT must load libomp); 0 runs sequentially"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Vectorize the tiles (off: scalar loops)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> profile{
      *this, "profile",
      llvm::cl::desc("Time each top-level op of the entry points (the op "
                     "profile: qtensor-tag-profile-ops, "
                     "qtensor-insert-profile-points)"),
      llvm::cl::init(false)};
};

/// Stage-0 IR (float weights) to the LLVM dialect for the host CPU.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers `--qtensor-cpu-pipeline` with the global pass registry.
void registerCpuPipeline();

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_CPUPIPELINE_H
