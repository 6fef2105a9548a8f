//===- ModelOptions.cpp - the options that describe a model ---------------===//

#include "qtensor/Tooling/ModelOptions.h"

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

QuantizeOption::QuantizeOption(cl::OptionCategory &category)
    : spelling("quantize", cl::init("int8"), cl::cat(category),
               cl::desc("Weight quantization scheme"),
               cl::value_desc("int8|none")) {}

Expected<::qtensor::QuantScheme> QuantizeOption::parse() const {
  return parseQuantizeOption(spelling);
}
