//===- InputSpec.h - what a model's inputs are ------------------*- C++ -*-===//
//
// The one description of model inputs that every tool, the importer and the
// C++ APIs use: per input, its dimensions (static sizes or named dynamic
// sizes) and its element type, with one parser and one set of rules.
//
// A dynamic size has a name. '?' is a name too: every '?' of every input is
// one size (the batch), as is every use of a name such as 'T', so a decoder
// describes `idx [1, T]` and `input_pos [T]` as "1xT:i64" and "T:i64". The
// runtimes check at each call that a name has one size; compiled code
// relies on it.
//
// Header-only and dependency-free (see ElementType.h).
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_SUPPORT_INPUTSPEC_H
#define QTENSOR_SUPPORT_INPUTSPEC_H

#include "qtensor/Support/ElementType.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qtensor {

/// The size of a dynamic dimension in shapes (`std::vector<int64_t>`).
inline constexpr int64_t kDynamicSize = -1;
/// The largest static size a description may give.
inline constexpr int64_t kMaxInputDimension = int64_t(1) << 32;

struct InputDim {
  /// >= 0: a static size; kDynamicSize: a dynamic one, named `name`.
  int64_t size = kDynamicSize;
  std::string name;

  bool isDynamic() const { return size < 0; }
  bool operator==(const InputDim &other) const {
    return size == other.size && name == other.name;
  }
};

struct InputSpec {
  std::vector<InputDim> dims;
  ElementType dtype = ElementType::F32;

  /// The sizes, kDynamicSize where dynamic.
  std::vector<int64_t> shape() const {
    std::vector<int64_t> sizes;
    for (const InputDim &dim : dims)
      sizes.push_back(dim.size);
    return sizes;
  }

  /// The dimensions as parseInputSpec reads them: "?x64", "1xT".
  std::string shapeString() const { return joinDims("x"); }

  /// The dimensions as messages show shapes: "[?, 64]", "[1, T]".
  std::string bracketedShape() const { return "[" + joinDims(", ") + "]"; }

  /// SHAPE:DTYPE, e.g. "?x64:f32" (parseInputSpec reads it back).
  std::string str() const {
    return shapeString() + ":" + elementTypeName(dtype);
  }

  /// A description of `shape` (kDynamicSize: dynamic, named '?').
  static InputSpec fromShape(const std::vector<int64_t> &shape,
                             ElementType dtype = ElementType::F32) {
    InputSpec spec;
    spec.dtype = dtype;
    for (int64_t size : shape)
      spec.dims.push_back(size < 0 ? InputDim{kDynamicSize, "?"}
                                   : InputDim{size, ""});
    return spec;
  }

  bool operator==(const InputSpec &other) const {
    return dims == other.dims && dtype == other.dtype;
  }
  bool operator!=(const InputSpec &other) const { return !(*this == other); }

private:
  /// Sizes and names, in order, between `separator`s.
  std::string joinDims(const char *separator) const {
    std::string text;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (i)
        text += separator;
      text += dims[i].isDynamic() ? dims[i].name : std::to_string(dims[i].size);
    }
    return text;
  }
};

/// True for a dynamic size's name: '?', or an upper-case letter or '_'
/// followed by upper-case letters, digits and '_' ("T", "SEQ_LEN"). Lower
/// case is excluded so that 'x' always separates dimensions.
inline bool isInputDimName(std::string_view text) {
  if (text == "?")
    return true;
  if (text.empty() || !((text[0] >= 'A' && text[0] <= 'Z') || text[0] == '_'))
    return false;
  for (char c : text)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

/// Parses one input's description, SHAPE[:DTYPE]:
///   SHAPE  dimensions separated by 'x': a size (0 to 2^32), '?' or a name
///          (isInputDimName)
///   DTYPE  f32, f16, bf16, i8, i32, i64 or bool; `defaultType` if absent
/// On failure `error` says why (the caller names the text and its origin).
inline bool parseInputSpec(std::string_view text, ElementType defaultType,
                           InputSpec &spec, std::string &error) {
  auto fail = [&](const std::string &why) {
    error = why;
    return false;
  };
  spec = InputSpec();
  spec.dtype = defaultType;
  std::string_view shape = text;
  if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    shape = text.substr(0, colon);
    std::string_view name = text.substr(colon + 1);
    std::optional<ElementType> dtype = parseElementType(name);
    if (!dtype)
      return fail("unknown dtype '" + std::string(name) + "' (expected " +
                  kElementTypeSpellings + ")");
    spec.dtype = *dtype;
  }
  if (shape.empty())
    return fail("no dimensions (a shape is e.g. 4x64, ?x64 or 1xT)");
  while (true) {
    size_t separator = shape.find('x');
    std::string_view part = shape.substr(0, separator);
    if (part.empty())
      return fail("empty dimension");
    if (isInputDimName(part)) {
      spec.dims.push_back({kDynamicSize, std::string(part)});
    } else {
      int64_t size = 0;
      for (char c : part) {
        if (c < '0' || c > '9')
          return fail("'" + std::string(part) +
                      "' is not a size, '?' or a name (upper-case letters, "
                      "digits and '_')");
        size = size * 10 + (c - '0');
        if (size > kMaxInputDimension)
          return fail("dimension " + std::string(part) +
                      " is too large (at most 2^32)");
      }
      spec.dims.push_back({size, ""});
    }
    if (separator == std::string_view::npos)
      break;
    shape = shape.substr(separator + 1);
  }
  return true;
}

/// "[2, 64]"; kDynamicSize prints as '?'.
inline std::string formatInputShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return text + "]";
}

/// Checks concrete input shapes against their descriptions: rank, static
/// sizes, and one size per dynamic name across all inputs. On failure
/// `error` says which input and dimension.
inline bool checkInputShapes(const std::vector<InputSpec> &specs,
                             const std::vector<std::vector<int64_t>> &shapes,
                             std::string &error) {
  std::map<std::string, std::pair<int64_t, size_t>> bound;
  for (size_t i = 0; i < specs.size() && i < shapes.size(); ++i) {
    const InputSpec &spec = specs[i];
    const std::vector<int64_t> &shape = shapes[i];
    bool fits = shape.size() == spec.dims.size();
    for (size_t d = 0; fits && d < shape.size(); ++d)
      fits = shape[d] >= 0 &&
             (spec.dims[d].isDynamic() || spec.dims[d].size == shape[d]);
    if (!fits) {
      error = "input " + std::to_string(i) + " has shape " +
              formatInputShape(shape) + ", the model was compiled for " +
              spec.bracketedShape();
      return false;
    }
    for (size_t d = 0; d < shape.size(); ++d) {
      if (!spec.dims[d].isDynamic())
        continue;
      auto [it, inserted] = bound.try_emplace(spec.dims[d].name, shape[d], i);
      if (inserted || it->second.first == shape[d])
        continue;
      error = "input " + std::to_string(i) + " dimension " + std::to_string(d) +
              " ('" + spec.dims[d].name + "') is " + std::to_string(shape[d]) +
              ", but " + std::to_string(it->second.first) + " in input " +
              std::to_string(it->second.second) +
              ": a dynamic size takes one value per call";
      return false;
    }
  }
  return true;
}

} // namespace qtensor

#endif // QTENSOR_SUPPORT_INPUTSPEC_H
