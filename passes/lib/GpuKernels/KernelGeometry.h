//===- KernelGeometry.h - shapes of the GPU kernels -------------*- C++ -*-===//
//
// The fixed shapes of the GPU kernel families: what the kernel configuration
// must respect and the emitters build. The tunable parameters are those of
// #qtensor.gpu_kernel.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_GPUKERNELS_KERNELGEOMETRY_H
#define QTENSOR_PASSES_GPUKERNELS_KERNELGEOMETRY_H

#include <cstdint>

namespace mlir {
namespace qtensor {

// kWarpSize (32) comes from NVGPUDialect.h.
/// Tiled kernel: threads along N (x, one warp: neighbouring columns) and
/// along M (y).
inline constexpr int64_t kTiledBlockN = 32;
inline constexpr int64_t kTiledBlockM = 4;
/// Shared-memory tiled kernel: the block stages 64, 128 or 256 bytes (the
/// most that divides K) of its 32 weight rows per step, each thread 16
/// bytes per 64; rows are padded by kSharedRowPadding so that the 16-byte
/// reads of 8 neighbouring threads (one shared-memory wavefront) hit
/// distinct banks (rows 20, 36 or 68 words long start 4 banks apart).
inline constexpr int64_t kSharedTileChunk = 64;
inline constexpr int64_t kSharedTileMaxK = 256;
inline constexpr int64_t kSharedRowPadding = 16;
/// The widest weight load: 16 int8 values, one 128-bit load.
inline constexpr int64_t kMaxVectorWidth = 16;
/// Split-K and mma kernels: warps per block (split-K: `columns` output
/// elements each).
inline constexpr int64_t kWarpsPerBlock = 4;
/// Tensor-core kernel: mma.sync.m16n8k16 tiles; each warp computes
/// kMmaTilesM x kMmaTilesN of them (32 rows x 32 columns), the block's
/// kWarpsPerBlock warps lie side by side along N.
inline constexpr int64_t kMmaM = 16, kMmaN = 8, kMmaK = 16;
inline constexpr int64_t kMmaTilesM = 2, kMmaTilesN = 4;
/// The most mma k chunks of 16 per k step: a lane reads 4 * chunks
/// consecutive k, 16 bytes of weight at 4.
inline constexpr int64_t kMaxMmaChunks = 4;
/// A warp's output tile, and the f32 results each of its lanes holds.
inline constexpr int64_t kMmaWarpRows = kMmaM * kMmaTilesM;
inline constexpr int64_t kMmaWarpColumns = kMmaN * kMmaTilesN;
inline constexpr int64_t kMmaResultsPerLane = 4 * kMmaTilesM * kMmaTilesN;
/// K steps each split-K lane loads (for each of its columns) before it uses
/// the first: one outstanding 16-byte load per lane keeps about 2 MB in
/// flight on an H100/H200, half of what their DRAM needs to stream at full
/// speed. Per column, not per lane, so that C columns per warp (C times
/// fewer blocks) keep as many bytes in flight.
inline constexpr int64_t kSplitKLoadsInFlight = 4;

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_GPUKERNELS_KERNELGEOMETRY_H
