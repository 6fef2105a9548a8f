//===- ElementType.h - element types of qtensor's tensors -------*- C++ -*-===//
//
// One element-type vocabulary for the importer, the passes, the runtimes and
// the tools: what a model input, a result or a parameter holds. Header-only
// and dependency-free, so that every layer (and programs using only the
// light runtime) shares it without a link dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_SUPPORT_ELEMENTTYPE_H
#define QTENSOR_SUPPORT_ELEMENTTYPE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace qtensor {

enum class ElementType : uint8_t { F32, F16, BF16, I8, I32, I64, Bool };

/// Every element type, in declaration order.
inline constexpr ElementType kElementTypes[] = {
    ElementType::F32, ElementType::F16, ElementType::BF16, ElementType::I8,
    ElementType::I32, ElementType::I64, ElementType::Bool};

/// The spelling used on command lines, in manifests and in messages: "f32",
/// "f16", "bf16", "i8", "i32", "i64", "bool".
constexpr const char *elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::F16:
    return "f16";
  case ElementType::BF16:
    return "bf16";
  case ElementType::I8:
    return "i8";
  case ElementType::I32:
    return "i32";
  case ElementType::I64:
    return "i64";
  case ElementType::Bool:
    return "bool";
  }
  return "?";
}

/// Every spelling elementTypeName gives, for messages.
inline constexpr const char *kElementTypeSpellings =
    "f32, f16, bf16, i8, i32, i64 or bool";

/// The inverse of elementTypeName.
inline std::optional<ElementType> parseElementType(std::string_view name) {
  for (ElementType type : kElementTypes)
    if (name == elementTypeName(type))
      return type;
  return std::nullopt;
}

/// Bytes per element (a bool is one byte, as in PyTorch).
constexpr size_t elementByteWidth(ElementType type) {
  switch (type) {
  case ElementType::F32:
  case ElementType::I32:
    return 4;
  case ElementType::F16:
  case ElementType::BF16:
    return 2;
  case ElementType::I64:
    return 8;
  case ElementType::I8:
  case ElementType::Bool:
    return 1;
  }
  return 0;
}

constexpr bool isFloatElementType(ElementType type) {
  return type == ElementType::F32 || type == ElementType::F16 ||
         type == ElementType::BF16;
}

} // namespace qtensor

#endif // QTENSOR_SUPPORT_ELEMENTTYPE_H
