//===- QuantScheme.h - quantization schemes ---------------------*- C++ -*-===//
//
// One description of a quantization scheme (what torchao calls a recipe),
// parsed from one spelling and used by the pass options, CompileOptions, the
// tools, the compile-cache key, the artifact manifest and the reference
// oracles:
//
//   none       float weights, nothing quantized
//   int8       int8 weight-only, symmetric, one scale per output row (the
//              seed's Int8SymmetricTensor)
//   int4:gG    int4 weight-only per group of G along K (32, 64, 128, 256;
//              plain `int4` is g128), unsigned 0..15 with a float scale and
//              a float zero per group (torchao's tinygemm numerics), two
//              values per byte
//   w8a8       int8 weights per output row and int8 activations quantized
//              per token at run time (integer dot products)
//
// The compiler implements `none` and `int8` today; the others parse, so
// that every layer can name them, and are refused where code would be
// generated for them (isImplemented()).
//
// Header-only and dependency-free (see ElementType.h).
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_SUPPORT_QUANTSCHEME_H
#define QTENSOR_SUPPORT_QUANTSCHEME_H

#include "qtensor/Support/ElementType.h"

#include <optional>
#include <string>
#include <string_view>

namespace qtensor {

/// Which weights share a scale.
enum class QuantGranularity {
  PerRow,  ///< one scale per output row n of an [N, K] weight
  PerGroup ///< one scale per row n and group of `groupSize` along K
};

/// How the quantized weight's bytes are laid out for the kernels (what
/// `--dump-params` shows is always the unpacked [N, K] integer matrix).
enum class WeightPacking {
  None,   ///< one value per byte
  Nibbles ///< two 4-bit values per byte, the even K index in the low nibble
};

struct QuantScheme {
  enum class Kind { None, Int8, Int4, W8A8 };
  Kind kind = Kind::Int8;
  /// For Int4: values per group along K.
  int64_t groupSize = 0;

  static QuantScheme none() { return {Kind::None, 0}; }
  static QuantScheme int8() { return {Kind::Int8, 0}; }
  static QuantScheme int4(int64_t groupSize = 128) {
    return {Kind::Int4, groupSize};
  }
  static QuantScheme w8a8() { return {Kind::W8A8, 0}; }

  bool quantizesWeights() const { return kind != Kind::None; }
  /// Bits per stored weight value: 8, 4, or 0 for none.
  unsigned weightBits() const {
    return kind == Kind::None ? 0 : kind == Kind::Int4 ? 4 : 8;
  }
  /// Signed storage (int8: -127..127) or unsigned (int4: 0..15).
  bool weightSigned() const { return kind != Kind::Int4; }
  QuantGranularity granularity() const {
    return kind == Kind::Int4 ? QuantGranularity::PerGroup
                              : QuantGranularity::PerRow;
  }
  /// The scales' element type; nullopt: the weight's own float type (the
  /// int8 schemes keep f32 scales for f32 weights, bf16 for bf16).
  std::optional<ElementType> scaleType() const {
    if (kind == Kind::Int4)
      return ElementType::BF16;
    return std::nullopt;
  }
  /// Int4 has a float zero per group (bf16): w = (q - 8) * s + z.
  bool hasFloatZeros() const { return kind == Kind::Int4; }
  /// W8A8 quantizes activations per token at run time.
  bool quantizesActivations() const { return kind == Kind::W8A8; }
  WeightPacking packing() const {
    return kind == Kind::Int4 ? WeightPacking::Nibbles : WeightPacking::None;
  }
  /// Whether the compiler generates code for this scheme yet.
  bool isImplemented() const {
    return kind == Kind::None || kind == Kind::Int8;
  }

  /// The canonical spelling, which parseQuantScheme reads back: "none",
  /// "int8", "int4:g128", "w8a8".
  std::string str() const {
    switch (kind) {
    case Kind::None:
      return "none";
    case Kind::Int8:
      return "int8";
    case Kind::Int4:
      return "int4:g" + std::to_string(groupSize);
    case Kind::W8A8:
      return "w8a8";
    }
    return "?";
  }

  bool operator==(const QuantScheme &other) const {
    return kind == other.kind && groupSize == other.groupSize;
  }
  bool operator!=(const QuantScheme &other) const { return !(*this == other); }
};

/// What parseQuantScheme accepts, for messages.
inline constexpr const char *kQuantSchemeSpellings =
    "none, int8, int4, int4:g32, int4:g64, int4:g128, int4:g256 or w8a8";

/// Parses a scheme's spelling (see the top of this file). On failure
/// `error` says why.
inline bool parseQuantScheme(std::string_view text, QuantScheme &scheme,
                             std::string &error) {
  if (text == "none" || text == "int8" || text == "w8a8") {
    scheme = text == "none"   ? QuantScheme::none()
             : text == "int8" ? QuantScheme::int8()
                              : QuantScheme::w8a8();
    return true;
  }
  if (text == "int4") {
    scheme = QuantScheme::int4();
    return true;
  }
  for (int64_t group : {32, 64, 128, 256}) {
    if (text == "int4:g" + std::to_string(group)) {
      scheme = QuantScheme::int4(group);
      return true;
    }
  }
  error = "unknown quantization scheme '" + std::string(text) + "' (expected " +
          kQuantSchemeSpellings + ")";
  return false;
}

/// The error for a scheme that parses but has no code generation yet.
inline std::string notImplementedMessage(const QuantScheme &scheme) {
  return "quantization scheme '" + scheme.str() +
         "' is not implemented yet (implemented: none, int8)";
}

} // namespace qtensor

#endif // QTENSOR_SUPPORT_QUANTSCHEME_H
