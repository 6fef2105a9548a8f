//===- NpyFile.cpp - read and write NumPy .npy arrays ---------------------===//

#include "qtensor/Tools/NpyFile.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace mlir::qtensor;

static Error npyError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// The value of `'key': value` in the header dictionary.
static std::optional<StringRef> headerField(StringRef header, StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  return rest.ltrim();
}

Expected<NpyArray> mlir::qtensor::parseNpy(StringRef contents) {
  if (!contents.starts_with("\x93NUMPY"))
    return npyError("not a .npy file (no \\x93NUMPY magic)");
  if (contents.size() < 10)
    return npyError("truncated .npy header");
  unsigned major = static_cast<unsigned char>(contents[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<unsigned char>(contents[8]) |
                   static_cast<unsigned char>(contents[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (contents.size() < 12)
      return npyError("truncated .npy header");
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength =
          headerLength << 8 | static_cast<unsigned char>(contents[8 + i]);
    headerStart = 12;
  } else {
    return npyError("unsupported .npy version " + Twine(major));
  }
  if (headerStart + headerLength > contents.size())
    return npyError("truncated .npy header");
  StringRef header = contents.substr(headerStart, headerLength);

  NpyArray array;
  std::optional<StringRef> descr = headerField(header, "descr");
  if (!descr || !descr->consume_front("'"))
    return npyError("the .npy header has no dtype ('descr')");
  array.dtype = descr->take_until([](char c) { return c == '\''; }).str();
  if (array.dtype != "<f4" && array.dtype != "|i1")
    return npyError("unsupported .npy dtype '" + array.dtype +
                    "' (expected float32 '<f4')");
  std::optional<StringRef> order = headerField(header, "fortran_order");
  if (!order || !order->starts_with("False"))
    return npyError("Fortran-ordered .npy arrays are not supported");
  std::optional<StringRef> shapeText = headerField(header, "shape");
  if (!shapeText || !shapeText->consume_front("("))
    return npyError("the .npy header has no shape");
  StringRef dims = shapeText->take_until([](char c) { return c == ')'; });
  if (dims.size() == shapeText->size())
    return npyError("malformed shape in the .npy header");
  uint64_t count = 1;
  SmallVector<StringRef> parts;
  dims.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef part : parts) {
    part = part.trim();
    if (part.empty())
      continue;
    uint64_t size;
    if (part.getAsInteger(10, size) || size > (uint64_t(1) << 40))
      return npyError("malformed dimension '" + part + "' in the .npy shape");
    if (size != 0 && count > (uint64_t(1) << 40) / size)
      return npyError("the .npy shape has too many elements");
    count *= size;
    array.shape.push_back(static_cast<int64_t>(size));
  }
  uint64_t width = array.dtype == "<f4" ? 4 : 1;
  StringRef data = contents.drop_front(headerStart + headerLength);
  if (data.size() != count * width)
    return npyError("the .npy data has " + Twine(data.size()) +
                    " bytes, its shape needs " + Twine(count * width));
  array.bytes.assign(data.bytes_begin(), data.bytes_end());
  return array;
}

Expected<NpyArray> mlir::qtensor::readNpy(StringRef path) {
  auto buffer = MemoryBuffer::getFile(path, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
  if (!buffer)
    return npyError("cannot open '" + path +
                    "': " + buffer.getError().message());
  auto array = parseNpy((*buffer)->getBuffer());
  if (!array)
    return npyError("'" + path + "': " + toString(array.takeError()));
  return array;
}

Error mlir::qtensor::writeNpy(StringRef path, const NpyArray &array) {
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

  auto temp = sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp)
    return temp.takeError();
  {
    raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
       << char(header.size() >> 8) << header;
    os.write(reinterpret_cast<const char *>(array.bytes.data()),
             array.bytes.size());
    os.flush();
    if (os.has_error()) {
      os.clear_error();
      consumeError(temp->discard());
      return npyError("cannot write '" + path + "'");
    }
  }
  return temp->keep(path);
}
