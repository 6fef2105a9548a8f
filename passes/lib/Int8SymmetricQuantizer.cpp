//===- Int8SymmetricQuantizer.cpp - the seed's quantizer, bit exact -------===//

#include "qtensor/Passes/Int8SymmetricQuantizer.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/bit.h"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstring>

using namespace mlir::qtensor;
using ::qtensor::ElementType;

namespace {

/// Conversions between a float format and f32, and rounding of an f32 value
/// to that format. PyTorch's CPU kernels for f16/bf16 compute each op in f32
/// and round the result back, so emulating one op is: compute in f32, round.
class FloatFormat {
public:
  explicit FloatFormat(ElementType type) : type(type) {}

  float load(const void *base, int64_t index) const {
    if (type == ElementType::F32) {
      float value;
      std::memcpy(&value, static_cast<const char *>(base) + index * 4, 4);
      return value;
    }
    uint16_t bits;
    std::memcpy(&bits, static_cast<const char *>(base) + index * 2, 2);
    return fromBits(bits);
  }

  void store(void *base, int64_t index, float value) const {
    if (type == ElementType::F32) {
      std::memcpy(static_cast<char *>(base) + index * 4, &value, 4);
      return;
    }
    uint16_t bits = toBits(value);
    std::memcpy(static_cast<char *>(base) + index * 2, &bits, 2);
  }

  /// Rounds `value` to the nearest value of this format (ties to even),
  /// including overflow to infinity and denormal results.
  float round(float value) const {
    if (type == ElementType::F32)
      return value;
    return fromBits(toBits(value));
  }

  /// Rounds a value whose magnitude is either 0, below 0.5, or within the
  /// normal range of the format. Below 0.5 the value is returned unchanged:
  /// the caller only rounds it to an integer next, and every value of
  /// magnitude below 0.5 rounds to 0 whichever way it was rounded first.
  /// This is the per-element hot path, so it avoids APFloat.
  float roundProduct(float value) const {
    if (type == ElementType::F32 || std::fabs(value) < 0.5f)
      return value;
    // Both f16 (10 bits) and bf16 (7 bits) keep fewer mantissa bits than f32
    // (23); drop the rest with round-to-nearest-even.
    int dropped = type == ElementType::F16 ? 13 : 16;
    uint32_t bits = llvm::bit_cast<uint32_t>(value);
    uint32_t lsb = (bits >> dropped) & 1;
    bits += (1u << (dropped - 1)) - 1 + lsb;
    bits &= ~((1u << dropped) - 1);
    return llvm::bit_cast<float>(bits);
  }

  /// The smallest positive normal value of the format.
  float smallestNormal() const {
    // bf16 has f32's exponent range.
    return std::ldexp(1.0f, type == ElementType::F16 ? -14 : -126);
  }

private:
  const llvm::fltSemantics &semantics() const {
    return type == ElementType::F16 ? llvm::APFloat::IEEEhalf()
                                    : llvm::APFloat::BFloat();
  }

  float fromBits(uint16_t bits) const {
    if (type == ElementType::BF16)
      return llvm::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
    llvm::APFloat value(semantics(), llvm::APInt(16, bits));
    return value.convertToFloat();
  }

  uint16_t toBits(float value) const {
    llvm::APFloat converted(value);
    bool losesInfo;
    converted.convert(semantics(), llvm::APFloat::rmNearestTiesToEven,
                      &losesInfo);
    return static_cast<uint16_t>(converted.bitcastToAPInt().getZExtValue());
  }

  ElementType type;
};

} // namespace

float mlir::qtensor::loadWeightElement(ElementType type, const void *weights,
                                       int64_t index) {
  return FloatFormat(type).load(weights, index);
}

std::optional<int64_t> mlir::qtensor::quantizeInt8SymmetricRows(
    ElementType type, const void *weights, int64_t rows, int64_t cols,
    int8_t *data, void *scale, int64_t rowStride, int64_t colStride) {
  FloatFormat format(type);
  if (colStride == 0)
    colStride = 1;
  if (rowStride == 0)
    rowStride = cols * colStride;
  // torch.round is nearbyint under the default rounding mode.
  const int previousRounding = std::fegetround();
  std::fesetround(FE_TONEAREST);

  std::optional<int64_t> nonFinite;
  for (int64_t row = 0; row < rows && !nonFinite; ++row) {
    const int64_t base = row * rowStride;
    float minValue = 0.0f, maxValue = 0.0f;
    for (int64_t col = 0; col < cols; ++col) {
      float value = format.load(weights, base + col * colStride);
      if (!std::isfinite(value)) {
        nonFinite = row * cols + col;
        break;
      }
      minValue = std::min(minValue, value);
      maxValue = std::max(maxValue, value);
    }
    if (nonFinite)
      break;
    // amax is exact in every format: negation and comparisons do not round.
    const float amax = std::max(-minValue, maxValue);
    const float rowScale = format.round(amax / 127.5f);
    const float reciprocal = format.round(1.0f / rowScale);
    int8_t *rowData = data + row * cols;
    if (!std::isfinite(reciprocal)) {
      std::fill(rowData, rowData + cols, 0);
      format.store(scale, row, format.smallestNormal());
      continue;
    }
    format.store(scale, row, rowScale);
    for (int64_t col = 0; col < cols; ++col) {
      float product = format.roundProduct(
          format.load(weights, base + col * colStride) * reciprocal);
      float rounded = std::nearbyint(product);
      rowData[col] = static_cast<int8_t>(std::clamp(rounded, -128.0f, 127.0f));
    }
  }
  std::fesetround(previousRounding);
  return nonFinite;
}
