//===- ModelOptions.h - the options that describe a model -------*- C++ -*-===//
//
// The command-line options with which every tool describes what it compiles:
// the model's inputs (--input-shape SHAPE[:DTYPE], repeated, and
// --input-dtype), the values of random integer inputs (--input-range) and
// the quantization scheme (--quantize). One definition,
// so that qtensor-import, qtensor-compile and qtensor-run spell, document
// and check them alike. Each tool constructs the groups it takes as static
// objects in its main file, in its own option category.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TOOLING_MODELOPTIONS_H
#define QTENSOR_TOOLING_MODELOPTIONS_H

#include "qtensor/Support/InputSpec.h"
#include "qtensor/Support/QuantScheme.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
namespace qtensor {

/// --input-shape (one per input of forward, in order) and --input-dtype.
class InputOptions {
public:
  /// `shapeHelp` is the tool's description of --input-shape.
  InputOptions(llvm::cl::OptionCategory &category, llvm::StringRef shapeHelp);

  /// The inputs described, or an error naming the option and the value.
  llvm::Expected<std::vector<::qtensor::InputSpec>> parse() const;

  /// The --input-shape values as given.
  llvm::ArrayRef<std::string> shapeTexts() const { return shapes; }
  bool empty() const { return shapes.empty(); }

private:
  llvm::cl::list<std::string> shapes;
  llvm::cl::opt<std::string> dtype;
};

/// Integers from `low` up to `high`, `high` excluded (as torch.randint).
struct IntegerRange {
  int64_t low = 0;
  int64_t high = 16;
};

/// --input-range LO:HI: what random integer inputs draw from, LO included,
/// HI excluded, so that token ids stay below a vocabulary of HI. Bool
/// inputs are 0 or 1 and float inputs standard normal whatever it says.
class InputRangeOption {
public:
  explicit InputRangeOption(llvm::cl::OptionCategory &category);

  /// The range given, [0, 16) by default, or an error naming the option and
  /// the value.
  llvm::Expected<IntegerRange> parse() const;
  bool given() const { return !text.empty(); }

  /// An error unless `range` fits every integer input of `inputs` (i8 holds
  /// -128 to 127, i32 and i64 their ranges); `texts` are their
  /// --input-shape values, which the error names.
  static llvm::Error checkFits(const IntegerRange &range,
                               llvm::ArrayRef<::qtensor::InputSpec> inputs,
                               llvm::ArrayRef<std::string> texts);

private:
  llvm::cl::opt<std::string> text;
};

/// --quantize SCHEME (qtensor/Support/QuantScheme.h), int8 by default.
class QuantizeOption {
public:
  explicit QuantizeOption(llvm::cl::OptionCategory &category);

  /// The scheme named, or an error naming the option for an unknown
  /// spelling or a scheme that is not implemented yet.
  llvm::Expected<::qtensor::QuantScheme> parse() const;

private:
  llvm::cl::opt<std::string> spelling;
};

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_TOOLING_MODELOPTIONS_H
