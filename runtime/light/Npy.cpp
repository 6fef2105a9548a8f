//===- Npy.cpp - read and write NumPy .npy arrays -------------------------===//

#include "qtensor/Runtime/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <unistd.h>

namespace qtensor {

namespace {

/// The text after `'key':` in the header dictionary.
std::optional<std::string_view> headerField(std::string_view header,
                                            std::string_view key) {
  std::string quoted = "'" + std::string(key) + "'";
  size_t at = header.find(quoted);
  if (at == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = header.substr(at + quoted.size());
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  if (rest.empty() || rest.front() != ':')
    return std::nullopt;
  rest.remove_prefix(1);
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  return rest;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

} // namespace

const char *npyDType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::I8:
    return "|i1";
  case DType::F16:
    return "<f2";
  case DType::BF16:
    // NumPy has no bfloat16: the bit patterns, as uint16.
    return "<u2";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::Bool:
    return "|b1";
  }
  return "";
}

std::optional<DType> dtypeOfNpy(std::string_view npy) {
  for (DType dtype : kElementTypes)
    if (npy == npyDType(dtype))
      return dtype;
  return std::nullopt;
}

Status parseNpy(std::string_view contents, NpyArray &array) {
  if (contents.substr(0, 6) != "\x93NUMPY")
    return Status::error("not a .npy file (no \\x93NUMPY magic)");
  if (contents.size() < 10)
    return Status::error("truncated .npy header");
  unsigned major = static_cast<unsigned char>(contents[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<unsigned char>(contents[8]) |
                   static_cast<unsigned char>(contents[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (contents.size() < 12)
      return Status::error("truncated .npy header");
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength =
          headerLength << 8 | static_cast<unsigned char>(contents[8 + i]);
    headerStart = 12;
  } else {
    return Status::error("unsupported .npy version " + std::to_string(major));
  }
  if (headerStart + headerLength > contents.size())
    return Status::error("truncated .npy header");
  std::string_view header = contents.substr(headerStart, headerLength);

  array = NpyArray();
  std::optional<std::string_view> descr = headerField(header, "descr");
  if (!descr || descr->empty() || descr->front() != '\'')
    return Status::error("the .npy header has no dtype ('descr')");
  descr->remove_prefix(1);
  array.dtype = std::string(descr->substr(0, descr->find('\'')));
  std::optional<DType> dtype = dtypeOfNpy(array.dtype);
  if (!dtype)
    return Status::error("unsupported .npy dtype '" + array.dtype +
                         "' (expected float32 '<f4', float16 '<f2', "
                         "bfloat16 bits '<u2', int8 '|i1', int32 '<i4', "
                         "int64 '<i8' or bool '|b1')");
  std::optional<std::string_view> order = headerField(header, "fortran_order");
  if (!order || order->substr(0, 5) != "False")
    return Status::error("Fortran-ordered .npy arrays are not supported");
  std::optional<std::string_view> shapeText = headerField(header, "shape");
  if (!shapeText || shapeText->empty() || shapeText->front() != '(')
    return Status::error("the .npy header has no shape");
  shapeText->remove_prefix(1);
  size_t close = shapeText->find(')');
  if (close == std::string_view::npos)
    return Status::error("malformed shape in the .npy header");
  std::string_view dims = shapeText->substr(0, close);
  uint64_t count = 1;
  constexpr uint64_t kLimit = uint64_t(1) << 40;
  while (!dims.empty()) {
    size_t comma = dims.find(',');
    std::string_view part = trim(dims.substr(0, comma));
    dims = comma == std::string_view::npos ? std::string_view()
                                           : dims.substr(comma + 1);
    if (part.empty())
      continue;
    uint64_t size = 0;
    for (char c : part) {
      if (c < '0' || c > '9' || size > kLimit)
        return Status::error("malformed dimension '" + std::string(part) +
                             "' in the .npy shape");
      size = size * 10 + static_cast<uint64_t>(c - '0');
    }
    if (size > kLimit)
      return Status::error("malformed dimension '" + std::string(part) +
                           "' in the .npy shape");
    if (size != 0 && count > kLimit / size)
      return Status::error("the .npy shape has too many elements");
    count *= size;
    array.shape.push_back(static_cast<int64_t>(size));
  }
  std::string_view data = contents.substr(headerStart + headerLength);
  uint64_t width = byteWidth(*dtype);
  if (data.size() != count * width)
    return Status::error("the .npy data has " + std::to_string(data.size()) +
                         " bytes, its shape needs " +
                         std::to_string(count * width));
  array.bytes.assign(data.begin(), data.end());
  return Status::success();
}

std::string parameterFileName(const std::string &name) {
  std::string fileName = name;
  for (char &c : fileName)
    if (c == '/' || c == '\\')
      c = '_';
  if (fileName.empty() || fileName.front() == '.')
    fileName.insert(0, "_");
  return fileName + ".npy";
}

Status readFile(const std::string &path, std::string &contents) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return Status::error("cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << file.rdbuf();
  if (file.bad())
    return Status::error("cannot read '" + path + "'");
  contents = std::move(buffer).str();
  return Status::success();
}

Status readNpy(const std::string &path, NpyArray &array) {
  std::string contents;
  QTENSOR_RETURN_IF_ERROR(readFile(path, contents));
  if (Status status = parseNpy(contents, array); !status)
    return Status::error("'" + path + "': " + status.message());
  return Status::success();
}

Status writeFileAtomically(const std::string &path, std::string_view contents) {
  std::string temp = path + ".tmp-" + std::to_string(getpid());
  FILE *file = std::fopen(temp.c_str(), "wb");
  if (!file)
    return Status::error("cannot write '" + path +
                         "': " + std::strerror(errno));
  bool written =
      std::fwrite(contents.data(), 1, contents.size(), file) == contents.size();
  written = std::fclose(file) == 0 && written;
  if (!written || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    return Status::error("cannot write '" + path + "': " + reason);
  }
  return Status::success();
}

Status writeNpy(const std::string &path, const NpyArray &array) {
  std::string header =
      "{'descr': '" + array.dtype + "', 'fortran_order': False, 'shape': (";
  // "(5,)" and "(4, 5,)" are both Python tuples.
  for (int64_t size : array.shape)
    header += std::to_string(size) + ",";
  header += "), }";
  // Pad so the data starts at a multiple of 64 bytes; end with a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string contents = "\x93NUMPY";
  contents += char(1);
  contents += char(0);
  contents += char(header.size() & 0xff);
  contents += char(header.size() >> 8);
  contents += header;
  contents.append(reinterpret_cast<const char *>(array.bytes.data()),
                  array.bytes.size());
  return writeFileAtomically(path, contents);
}

} // namespace qtensor
