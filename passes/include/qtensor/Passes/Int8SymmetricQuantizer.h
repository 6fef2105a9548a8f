//===- Int8SymmetricQuantizer.h - the seed's quantizer, bit exact -------===//
//
// int8 symmetric per-row quantization exactly as the reference
// `int8_symmetric_quantize` computes it with PyTorch on the CPU:
//
//   amax  = max(-min(min_row, 0), max(max_row, 0))
//   scale = amax / 127.5                    (true division in the float type)
//   q     = clamp(round_half_even(w * (1 / scale)), -128, 127)
//
// with the reciprocal rounded to the float type before the multiply. Rows
// whose reciprocal is not finite (all zeros, denormals only) are where the
// reference yields NaN; they get q = 0 and scale = the smallest normal value
// of the float type, so they dequantize to exactly 0.
//
// No MLIR dependency: the compiler passes, the runtime's parameter dumps and
// the unit tests share this one implementation.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_INT8SYMMETRICQUANTIZER_H
#define QTENSOR_PASSES_INT8SYMMETRICQUANTIZER_H

#include "qtensor/Support/ElementType.h"

#include <cstdint>
#include <optional>

namespace mlir {
namespace qtensor {

/// Element `index` of an array of `type` values (F32, F16 or BF16: the
/// float formats a weight is stored in), converted exactly to f32.
float loadWeightElement(::qtensor::ElementType type, const void *weights,
                        int64_t index);

/// Quantizes a row-major `rows` x `cols` matrix of `type` values (F32, F16
/// or BF16).
///
/// `weights` holds rows * cols elements of `type` (raw bits for f16/bf16);
/// `data` receives rows * cols int8 values and `scale` receives `rows` values
/// of `type`. The optional `rowStride` is the distance in elements between the
/// starts of consecutive rows of `weights` and `colStride` between consecutive
/// elements of a row (so a transposed view can be quantized without a copy);
/// 0 means contiguous.
///
/// Returns the flat index (row * cols + col) of the first NaN or infinity in
/// the logical matrix, in which case the outputs are unspecified.
std::optional<int64_t>
quantizeInt8SymmetricRows(::qtensor::ElementType type, const void *weights,
                          int64_t rows, int64_t cols, int8_t *data, void *scale,
                          int64_t rowStride = 0, int64_t colStride = 0);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_INT8SYMMETRICQUANTIZER_H
