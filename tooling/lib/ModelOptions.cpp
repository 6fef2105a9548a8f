//===- ModelOptions.cpp - the options that describe a model ---------------===//

#include "qtensor/Tooling/ModelOptions.h"

#include "llvm/ADT/STLExtras.h"

#include <limits>

using namespace llvm;
using namespace mlir::qtensor;

namespace {

Expected<::qtensor::QuantScheme> parseQuantizeOption(StringRef value) {
  ::qtensor::QuantScheme scheme;
  std::string problem;
  if (!::qtensor::parseQuantScheme(value.str(), scheme, problem))
    return createStringError(inconvertibleErrorCode(),
                             "unknown --quantize '" + value + "' (expected " +
                                 ::qtensor::kQuantSchemeSpellings + ")");
  if (!scheme.isImplemented())
    return createStringError(inconvertibleErrorCode(),
                             "--quantize '" + value + "': " +
                                 ::qtensor::notImplementedMessage(scheme));
  return scheme;
}

Expected<std::vector<::qtensor::InputSpec>>
parseInputOptions(ArrayRef<std::string> shapes, StringRef dtype) {
  std::optional<::qtensor::ElementType> elementType =
      ::qtensor::parseElementType(dtype.str());
  if (!elementType)
    return createStringError(inconvertibleErrorCode(),
                             "unknown --input-dtype '" + dtype +
                                 "' (expected " +
                                 ::qtensor::kElementTypeSpellings + ")");
  std::vector<::qtensor::InputSpec> inputs;
  for (const std::string &text : shapes) {
    std::string problem;
    if (!::qtensor::parseInputSpec(text, *elementType, inputs.emplace_back(),
                                   problem))
      return createStringError(inconvertibleErrorCode(),
                               "invalid --input-shape '" + text +
                                   "': " + problem);
  }
  return inputs;
}

} // namespace

InputOptions::InputOptions(cl::OptionCategory &category, StringRef shapeHelp)
    : shapes("input-shape", cl::cat(category), cl::desc(shapeHelp),
             cl::value_desc("SHAPE[:DTYPE]")),
      dtype("input-dtype", cl::init("f32"), cl::cat(category),
            cl::desc("Dtype of the inputs whose --input-shape names none"),
            cl::value_desc("f32|f16|bf16|i8|i32|i64|bool")) {}

Expected<std::vector<::qtensor::InputSpec>> InputOptions::parse() const {
  return parseInputOptions(shapes, dtype);
}

InputRangeOption::InputRangeOption(cl::OptionCategory &category)
    : text("input-range", cl::cat(category),
           cl::desc("Values of random integer inputs: LO up to HI - 1 "
                    "(default 0:16); e.g. 0:V for token ids of a vocabulary "
                    "of V"),
           cl::value_desc("LO:HI")) {}

Expected<IntegerRange> InputRangeOption::parse() const {
  if (!given())
    return IntegerRange();
  auto [low, high] = StringRef(text).split(':');
  IntegerRange range;
  if (low.getAsInteger(10, range.low) || high.getAsInteger(10, range.high) ||
      range.low >= range.high)
    return createStringError(inconvertibleErrorCode(),
                             "invalid --input-range '" + text +
                                 "': expected LO:HI, two integers with LO < "
                                 "HI (values from LO up to HI - 1)");
  return range;
}

Error InputRangeOption::checkFits(const IntegerRange &range,
                                  ArrayRef<::qtensor::InputSpec> inputs,
                                  ArrayRef<std::string> texts) {
  for (auto [input, shapeText] : llvm::zip_equal(inputs, texts)) {
    int64_t lowest = std::numeric_limits<int64_t>::min();
    int64_t highest = std::numeric_limits<int64_t>::max();
    if (input.dtype == ::qtensor::ElementType::I8) {
      lowest = std::numeric_limits<int8_t>::min();
      highest = std::numeric_limits<int8_t>::max();
    } else if (input.dtype == ::qtensor::ElementType::I32) {
      lowest = std::numeric_limits<int32_t>::min();
      highest = std::numeric_limits<int32_t>::max();
    } else if (input.dtype != ::qtensor::ElementType::I64) {
      continue;
    }
    if (range.low < lowest || range.high - 1 > highest)
      return createStringError(
          inconvertibleErrorCode(),
          "--input-range " + Twine(range.low) + ":" + Twine(range.high) +
              " does not fit --input-shape '" + shapeText +
              "': " + ::qtensor::elementTypeName(input.dtype) + " holds " +
              Twine(lowest) + " to " + Twine(highest));
  }
  return Error::success();
}

QuantizeOption::QuantizeOption(cl::OptionCategory &category)
    : spelling("quantize", cl::init("int8"), cl::cat(category),
               cl::desc("Weight quantization scheme"),
               cl::value_desc("int8|none")) {}

Expected<::qtensor::QuantScheme> QuantizeOption::parse() const {
  return parseQuantizeOption(spelling);
}
