//===- JsonFuzzer.cpp - libFuzzer target for the manifest's JSON reader ---===//
//
// Feeds arbitrary bytes to json::parse (the light runtime reads every
// manifest.json with it). Every input must give a value or an error value;
// an accepted value, written back out, must read back to the same value.
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

using qtensor::json::Value;

void write(const Value &value, std::string &out) {
  switch (value.kind) {
  case Value::Kind::Null:
    out += "null";
    return;
  case Value::Kind::Bool:
    out += value.boolean ? "true" : "false";
    return;
  case Value::Kind::Number: {
    char buffer[64];
    if (value.integer)
      std::snprintf(buffer, sizeof(buffer), "%lld",
                    static_cast<long long>(*value.integer));
    else
      // Always with an exponent, so that it reads back as a non-integer.
      std::snprintf(buffer, sizeof(buffer), "%.17e", value.number);
    out += buffer;
    return;
  }
  case Value::Kind::String:
    out += '"';
    for (char c : value.string) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
        out += buffer;
      } else {
        out += c;
      }
    }
    out += '"';
    return;
  case Value::Kind::Array:
    out += '[';
    for (size_t i = 0; i < value.array.size(); ++i) {
      if (i)
        out += ',';
      write(value.array[i], out);
    }
    out += ']';
    return;
  case Value::Kind::Object: {
    out += '{';
    bool first = true;
    for (const auto &[key, member] : value.object) {
      if (!first)
        out += ',';
      first = false;
      Value name;
      name.kind = Value::Kind::String;
      name.string = key;
      write(name, out);
      out += ':';
      write(member, out);
    }
    out += '}';
    return;
  }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  Value value;
  qtensor::Status status = qtensor::json::parse(text, value);
  if (!status) {
    if (status.message().empty())
      std::abort();
    return 0;
  }
  std::string once;
  write(value, once);
  Value again;
  if (!qtensor::json::parse(once, again))
    std::abort();
  std::string twice;
  write(again, twice);
  if (once != twice)
    std::abort();
  return 0;
}
