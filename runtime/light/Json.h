//===- Json.h - the JSON subset of artifact manifests -----------*- C++ -*-===//
//
// A small JSON reader for manifest.json, so that the light runtime needs no
// LLVM (qtensor-compile writes the manifest with llvm::json). Numbers are
// kept as doubles and as exact int64 when they are integers.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_LIGHT_JSON_H
#define QTENSOR_RUNTIME_LIGHT_JSON_H

#include "qtensor/Runtime/Tensor.h"

#include <map>
#include <memory>
#include <optional>
#include <string_view>

namespace qtensor::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::optional<int64_t> integer;
  std::string string;
  std::vector<Value> array;
  std::map<std::string, Value> object;

  /// The member `key` of an object, or nullptr.
  const Value *get(const std::string &key) const;
};

/// Parses `text` (one JSON value, nesting at most 64 deep).
Status parse(std::string_view text, Value &value);

} // namespace qtensor::json

#endif // QTENSOR_RUNTIME_LIGHT_JSON_H
