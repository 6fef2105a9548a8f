//===- RunSteps.h - the steps of qtensor-run --------------------*- C++ -*-===//
//
// qtensor-run's main reads as its steps: make the inputs, compile, run, dump
// the parameters, compare with the references, time against LibTorch, write
// the results. Each step is here; errors are llvm::Errors that main prints
// as one `error: ...` line.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TOOLS_QTENSOR_RUN_RUNSTEPS_H
#define QTENSOR_TOOLS_QTENSOR_RUN_RUNSTEPS_H

#include "qtensor/Runtime/Runtime.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <ATen/Tensor.h>
#include <torch/csrc/jit/api/module.h>

#include <string>
#include <vector>

namespace qtensor {
namespace runtool {

/// Random inputs for `specs` (the --input-shape values `texts`), from the
/// current LibTorch seed: floats from a standard normal, integers from `low`
/// up to `high` - 1 (--input-range), bools fair coins. Each dynamic size
/// is 1.
llvm::Expected<std::vector<at::Tensor>>
makeRandomInputs(llvm::ArrayRef<std::string> texts,
                 llvm::ArrayRef<InputSpec> specs, int64_t low, int64_t high);

/// Reads .npy inputs of any dtype the runtime takes (float32, float16,
/// bfloat16 bits, int8, int32, int64, bool), appending their static shapes
/// and dtypes to `specs`.
llvm::Expected<std::vector<at::Tensor>>
readInputs(llvm::ArrayRef<std::string> paths, std::vector<InputSpec> &specs);

/// Writes each parameter of `model` to DIR/NAME.npy, in the seed's layout.
llvm::Error dumpParameters(const Model &model, llvm::StringRef directory);

/// Writes the results as .npy, float results as float32, integer and bool
/// ones in their own dtype: the first to `path`, result i > 0 to `path`
/// with ".i.npy" for ".npy".
llvm::Error writeOutputs(llvm::StringRef path,
                         llvm::ArrayRef<at::Tensor> outputs);

/// The model at `modelPath` in LibTorch, in eval mode: what --compare and
/// --bench measure against.
torch::jit::Module loadFloatModel(llvm::StringRef modelPath);

/// --compare: prints the agreement of `outputs` with the scheme's LibTorch
/// oracle and `floatModel`, and, for quantized models, with the unfused
/// program compiled separately. Returns whether every check agreed.
llvm::Expected<bool> compareWithReferences(llvm::StringRef modelPath,
                                           torch::jit::Module &floatModel,
                                           const CompileOptions &options,
                                           const Model &model,
                                           llvm::ArrayRef<at::Tensor> inputs,
                                           llvm::ArrayRef<at::Tensor> outputs);

/// --bench: prints the median and minimum of `runs` calls of the compiled
/// model, LibTorch's float model and, for int8, the seed's module swap
/// (which quantizes every weight on every call).
llvm::Error benchAgainstLibTorch(unsigned runs, torch::jit::Module &floatModel,
                                 const CompileOptions &options,
                                 const Model &model,
                                 llvm::ArrayRef<at::Tensor> inputs);

} // namespace runtool
} // namespace qtensor

#endif // QTENSOR_TOOLS_QTENSOR_RUN_RUNSTEPS_H
