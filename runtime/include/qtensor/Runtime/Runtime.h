//===- Runtime.h - compile and run qtensor models from C++ ------*- C++ -*-===//
//
// The public C++ API of the qtensor JIT runtime. It names no LLVM, MLIR or
// LibTorch type: a program that only compiles and runs models includes this
// header and links QTensor::runtime. at::Tensor entry points are in
// qtensor/Runtime/TorchInterop.h.
//
//   qtensor::CompileOptions options;
//   options.inputShapes = {{-1, 64}};              // dynamic batch
//   std::shared_ptr<qtensor::Model> model;
//   if (qtensor::Status status = qtensor::Model::compile("toy.pt", options,
//                                                        model); !status)
//     std::cerr << "error: " << status.message() << "\n";
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_RUNTIME_H
#define QTENSOR_RUNTIME_RUNTIME_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace qtensor {

/// The outcome of an API call: success, or an error with a one-line message.
/// Errors are values; the runtime never aborts the process on bad input.
class [[nodiscard]] Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) {
    Status status;
    status.failed = true;
    status.text = std::move(message);
    return status;
  }
  /// True on success.
  explicit operator bool() const { return !failed; }
  const std::string &message() const { return text; }

private:
  bool failed = false;
  std::string text;
};

enum class DType { F32, F16, BF16, I8 };
enum class Quantization { None, Int8 };
enum class Target { Auto, Cpu, Cuda };

/// "f32", "f16", "bf16", "i8".
const char *toString(DType dtype);
/// Bytes per element.
size_t byteWidth(DType dtype);

struct CompileOptions {
  /// One shape per model input; -1 marks a dynamic leading (batch) size.
  std::vector<std::vector<int64_t>> inputShapes;
  DType inputType = DType::F32;
  /// Int8: weight-only int8 quantization of every linear/matmul weight.
  Quantization quantization = Quantization::Int8;
  /// Auto picks CUDA when a driver and GPU answer, else the CPU.
  Target target = Target::Auto;
  /// Fuse each linear into one kernel; off compiles the unfused program.
  bool fuse = true;
  /// Split each kernel's output columns over OpenMP threads (as many as
  /// OMP_NUM_THREADS says, by default one per core). Every output element
  /// is computed by one thread in a fixed order, so results are
  /// bit-identical with or without it, at any thread count.
  bool parallel = true;
  /// When not empty, the IR after each stage is written there.
  std::string dumpStagesDirectory;
  /// When not empty, compiled models are kept there across processes (as
  /// MLIR bytecode of the lowered module, keyed like the in-process cache);
  /// a hit skips import and the qtensor pipeline, not the LLVM JIT.
  std::string cacheDirectory;
};

/// A caller-owned dense row-major buffer.
struct TensorView {
  const void *data = nullptr;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

/// A runtime-owned dense row-major result.
struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
  size_t numElements() const;
  const float *f32() const {
    return reinterpret_cast<const float *>(bytes.data());
  }
};

/// A weight the compiled code reads from a runtime-owned buffer.
struct Parameter {
  std::string name; ///< e.g. "linear1.weight.data"
  DType dtype;
  std::vector<int64_t> shape;
  std::string layout; ///< "row_major": the seed's layout, unpacked
  const void *data;
  size_t bytes;
};

/// A compiled model: its code and its parameter buffers. Calls from several
/// threads at once are safe and give identical results.
class Model {
public:
  /// Compiles a TorchScript (.pt) or stage-0 MLIR (.mlir) model for the
  /// given input shapes. A model compiled before in this process with the
  /// same content, shapes, options, host CPU and versions is returned from
  /// the in-process cache.
  static Status compile(const std::string &path, const CompileOptions &options,
                        std::shared_ptr<Model> &model);

  /// Runs the model. Inputs must match the compiled shapes (a dynamic
  /// dimension takes any size) and dtype.
  Status run(const std::vector<TensorView> &inputs,
             std::vector<Tensor> &outputs) const;

  const std::vector<Parameter> &parameters() const;
  size_t numInputs() const;
  /// The compiled input shapes (-1: dynamic).
  const std::vector<std::vector<int64_t>> &inputShapes() const;
  /// Where the code runs, e.g. "cpu (skylake-avx512)".
  const std::string &targetDescription() const;
  /// Why `Target::Auto` chose the target it did.
  const std::string &targetReason() const;
  /// Wall time of each compile stage in milliseconds, in order.
  const std::vector<std::pair<std::string, double>> &stageTimings() const;

  ~Model();

  struct Impl;

private:
  explicit Model(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl;
};

/// Compile-cache statistics of this process.
struct CacheStats {
  size_t hits = 0;     ///< served by the in-process cache
  size_t misses = 0;   ///< not in the in-process cache
  size_t diskHits = 0; ///< of the misses, served by a cache directory
};
CacheStats getCacheStats();

/// Forgets the in-process cache (models already returned stay valid).
void clearCompileCache();

} // namespace qtensor

#endif // QTENSOR_RUNTIME_RUNTIME_H
