//===- Json.cpp - the JSON subset of artifact manifests -------------------===//

#include "Json.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace qtensor::json {

const Value *Value::get(const std::string &key) const {
  if (kind != Kind::Object)
    return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->second;
}

namespace {

class Parser {
public:
  explicit Parser(std::string_view text) : text(text) {}

  Status parseDocument(Value &value) {
    QTENSOR_RETURN_IF_ERROR(parseValue(value, 0));
    skipSpace();
    if (position != text.size())
      return error("unexpected text after the JSON value");
    return Status::success();
  }

private:
  Status error(const std::string &message) const {
    return Status::error(message + " at offset " + std::to_string(position));
  }

  void skipSpace() {
    while (position < text.size() &&
           (text[position] == ' ' || text[position] == '\n' ||
            text[position] == '\r' || text[position] == '\t'))
      ++position;
  }

  bool consume(std::string_view word) {
    if (text.substr(position, word.size()) != word)
      return false;
    position += word.size();
    return true;
  }

  Status parseValue(Value &value, int depth) {
    skipSpace();
    if (position == text.size())
      return error("unexpected end of JSON");
    char c = text[position];
    if (c == '{')
      return parseObject(value, depth);
    if (c == '[')
      return parseArray(value, depth);
    if (c == '"') {
      value.kind = Value::Kind::String;
      return parseString(value.string);
    }
    if (consume("true") || consume("false")) {
      value.kind = Value::Kind::Bool;
      value.boolean = c == 't';
      return Status::success();
    }
    if (consume("null")) {
      value.kind = Value::Kind::Null;
      return Status::success();
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseNumber(value);
    return error(std::string("unexpected character '") + c + "'");
  }

  /// `depth` containers enclose the one opening here: at most 64 nest.
  Status checkDepth(int depth) const {
    return depth >= 64 ? error("JSON nested too deeply") : Status::success();
  }

  Status parseObject(Value &value, int depth) {
    QTENSOR_RETURN_IF_ERROR(checkDepth(depth));
    value.kind = Value::Kind::Object;
    ++position; // {
    skipSpace();
    if (consume("}"))
      return Status::success();
    while (true) {
      skipSpace();
      std::string key;
      if (position == text.size() || text[position] != '"')
        return error("expected a string key");
      QTENSOR_RETURN_IF_ERROR(parseString(key));
      skipSpace();
      if (!consume(":"))
        return error("expected ':'");
      Value member;
      QTENSOR_RETURN_IF_ERROR(parseValue(member, depth + 1));
      value.object[key] = std::move(member);
      skipSpace();
      if (consume("}"))
        return Status::success();
      if (!consume(","))
        return error("expected ',' or '}'");
    }
  }

  Status parseArray(Value &value, int depth) {
    QTENSOR_RETURN_IF_ERROR(checkDepth(depth));
    value.kind = Value::Kind::Array;
    ++position; // [
    skipSpace();
    if (consume("]"))
      return Status::success();
    while (true) {
      Value element;
      QTENSOR_RETURN_IF_ERROR(parseValue(element, depth + 1));
      value.array.push_back(std::move(element));
      skipSpace();
      if (consume("]"))
        return Status::success();
      if (!consume(","))
        return error("expected ',' or ']'");
    }
  }

  /// Strings with the escapes JSON writers emit; \u escapes of ASCII only
  /// (manifests name parameters and files).
  Status parseString(std::string &out) {
    ++position; // "
    while (position < text.size()) {
      char c = text[position++];
      if (c == '"')
        return Status::success();
      if (static_cast<unsigned char>(c) < 0x20)
        return error("control character in a JSON string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (position == text.size())
        break;
      char escape = text[position++];
      switch (escape) {
      case '"':
      case '\\':
      case '/':
        out += escape;
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        if (position + 4 > text.size())
          return error("truncated \\u escape");
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
          char h = text[position++];
          code <<= 4;
          if (h >= '0' && h <= '9')
            code |= h - '0';
          else if (h >= 'a' && h <= 'f')
            code |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F')
            code |= h - 'A' + 10;
          else
            return error("malformed \\u escape");
        }
        if (code >= 0x80)
          return error("non-ASCII \\u escape in a manifest string");
        out += static_cast<char>(code);
        break;
      }
      default:
        return error(std::string("unknown escape '\\") + escape + "'");
      }
    }
    return error("unterminated JSON string");
  }

  Status parseNumber(Value &value) {
    size_t start = position;
    if (text[position] == '-')
      ++position;
    bool integral = true;
    while (position < text.size()) {
      char c = text[position];
      if (c >= '0' && c <= '9') {
        ++position;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
        integral = false;
        ++position;
      } else {
        break;
      }
    }
    std::string number(text.substr(start, position - start));
    char *end = nullptr;
    value.kind = Value::Kind::Number;
    value.number = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() ||
        !std::isfinite(value.number))
      return error("malformed number '" + number + "'");
    if (integral) {
      errno = 0;
      long long exact = std::strtoll(number.c_str(), &end, 10);
      if (errno == 0)
        value.integer = exact;
    }
    return Status::success();
  }

  std::string_view text;
  size_t position = 0;
};

} // namespace

Status parse(std::string_view text, Value &value) {
  value = Value();
  return Parser(text).parseDocument(value);
}

} // namespace qtensor::json
