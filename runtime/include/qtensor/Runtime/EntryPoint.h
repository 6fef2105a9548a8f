//===- EntryPoint.h - calling compiled code -----------------*- C++ -*-===//
//
// How the JIT (Model) and AOT artifacts (Artifact) call a compiled @forward.
// The code follows MLIR's C interface: `_mlir_ciface_forward` takes a pointer
// to the result descriptors, then one memref descriptor per input and per
// parameter; a packed wrapper `void(void **)` takes the addresses of those
// arguments. Results are fresh allocations owned by the caller (ownership-
// based buffer deallocation guarantees it), in host memory for CPU code and
// in device memory for CUDA code; callEntry copies them out and frees them.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_ENTRYPOINT_H
#define QTENSOR_RUNTIME_ENTRYPOINT_H

#include "qtensor/Runtime/Tensor.h"
#include "qtensor/Support/InputSpec.h"

namespace qtensor {

/// `void(void **arguments)`: arguments[0] is the address of a pointer to the
/// result descriptors, arguments[1 + i] the address of a pointer to the
/// descriptor of input or parameter i.
using PackedEntry = void (*)(void **);

/// Where the buffers that compiled code reads and returns live.
enum class MemorySpace { Host, Cuda };

/// A buffer a model keeps between calls (a KV cache, from the buffers its
/// forward writes): compiled code reads it and updates it in place.
struct StateSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Its value before the first call, as saved in the model (row-major).
  std::vector<unsigned char> initial;
};

/// What a compiled @forward takes and returns: its inputs, then its states,
/// then its parameters; its outputs, then (when it makes run-time checks)
/// its status.
struct EntrySignature {
  /// Each input's dimensions (dynamic ones named) and element type.
  std::vector<InputSpec> inputs;
  /// Per input (or empty): its integer values must lie in [0, bound), as
  /// positions into a KV cache must; 0 for an input without a bound.
  std::vector<int64_t> inputBounds;
  std::vector<StateSpec> states;
  /// The results, the status included.
  std::vector<DType> resultTypes;
  std::vector<size_t> resultRanks;
  /// The messages of the run-time checks (a position outside a KV cache);
  /// when not empty, the last result is an int32 status: 0, or k for a
  /// call that failed with statusMessages[k - 1] and wrote no state.
  std::vector<std::string> statusMessages;
  size_t numOutputs() const {
    return resultTypes.size() - (statusMessages.empty() ? 0 : 1);
  }
};

/// A parameter as the compiled code reads it: dense, row-major, in the
/// entry's memory space.
struct ParameterBuffer {
  const void *data = nullptr;
  std::vector<int64_t> shape;
};

/// Checks `inputs` against `signature`: count, dtypes, shapes, one size for
/// each dynamic name across all inputs (checkInputShapes).
QTENSOR_LIGHT_EXPORT Status checkInputs(const EntrySignature &signature,
                                        const std::vector<TensorView> &inputs);

/// Checks the inputs, then calls `entry`. For MemorySpace::Cuda the inputs
/// are copied to the device first and the results back after, on the CUDA
/// runtime's stream, and a latched CUDA error is the returned error.
/// `states` are the state buffers (signature.states' shapes, host memory),
/// which the call updates; a failed run-time check is an error value, and
/// then no output is returned and no state written.
QTENSOR_LIGHT_EXPORT Status
callEntry(PackedEntry entry, const EntrySignature &signature,
          const std::vector<TensorView> &inputs,
          const std::vector<ParameterBuffer> &parameters, MemorySpace space,
          std::vector<Tensor> &outputs, const std::vector<void *> &states = {});

} // namespace qtensor

extern "C" {
/// The `memrefCopy` that memref-to-LLVM lowers strided copies to (the
/// upstream definition lives in a runner library that links LLVM).
struct QTensorUnrankedMemRef {
  int64_t rank;
  int64_t *descriptor; // allocated, aligned, offset, sizes[rank], strides[rank]
};
QTENSOR_LIGHT_EXPORT void qtensorMemrefCopy(int64_t elementSize,
                                            QTensorUnrankedMemRef *source,
                                            QTensorUnrankedMemRef *target);
/// compiler-rt's __truncsfbf2 (f32 -> bf16, round to nearest even, NaN
/// quieted), which the X86 backend calls for bf16 values it legalizes
/// through f32 (Bf16Conversion.cpp); the bf16 is returned in the low 16
/// bits of the float register. Exported under both names.
QTENSOR_LIGHT_EXPORT float qtensorTruncSfBf2(float value);
QTENSOR_LIGHT_EXPORT float __truncsfbf2(float value);
/// A profile point of compiled code (qtensor-insert-profile-points): adds
/// the time since this thread's previous point to that point's entry in
/// `counters` (nanoseconds, calls: two int64 per entry) and starts the
/// entry `point`; -1 ends the call.
QTENSOR_LIGHT_EXPORT void qtensorProfilePoint(int64_t *counters, int64_t point);
/// The allocator compiled code's buffers come from (BufferCache.cpp):
/// memref.alloc and memref.dealloc lower to these (memref-to-LLVM's generic
/// functions), and the runtime frees returned buffers with the last one.
/// Freed buffers of 128 KiB and more stay on free lists for the next op or
/// call instead of being unmapped; a free that would hold more than 2 GiB
/// idle first returns the idle buffers to the system.
QTENSOR_LIGHT_EXPORT void *_mlir_memref_to_llvm_alloc(size_t bytes);
QTENSOR_LIGHT_EXPORT void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                              size_t bytes);
QTENSOR_LIGHT_EXPORT void _mlir_memref_to_llvm_free(void *pointer);
/// Returns the idle cached buffers to the system; the bytes released.
QTENSOR_LIGHT_EXPORT size_t qtensorTrimBufferCache();
/// The bytes of idle buffers the cache holds.
QTENSOR_LIGHT_EXPORT size_t qtensorBufferCacheIdleBytes();
/// The most idle bytes it holds (0 under AddressSanitizer: no caching).
QTENSOR_LIGHT_EXPORT size_t qtensorBufferCacheLimitBytes();
}

#endif // QTENSOR_RUNTIME_ENTRYPOINT_H
