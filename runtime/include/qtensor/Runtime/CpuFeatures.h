//===- CpuFeatures.h - x86 features an artifact needs -----------*- C++ -*-===//
//
// An AOT artifact records the x86 features its code was compiled for, by
// their LLVM names ("avx2", "fma", "avx512f", ...); the light runtime refuses
// to load it on a host that lacks one. The host is asked with cpuid and
// xgetbv (the OS must save the AVX / AVX-512 registers), not through a
// compiler builtin, so that every compiler builds the same check.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_CPUFEATURES_H
#define QTENSOR_RUNTIME_CPUFEATURES_H

#include "qtensor/Runtime/Tensor.h"

#include <cstdint>
#include <string_view>

namespace qtensor {

/// True for the features this file can check on the host. An artifact lists
/// only those; the others (x87, 64bit, ...) every x86-64 host has or they
/// do not change the instructions qtensor's code uses.
QTENSOR_LIGHT_EXPORT bool isCheckableCpuFeature(std::string_view feature);

/// The features isCheckableCpuFeature accepts, in LLVM's spelling.
QTENSOR_LIGHT_EXPORT std::vector<std::string_view> checkableCpuFeatures();

/// What cpuid and xgetbv report. The host's answers come from hostCpuid();
/// tests pass known register values, so that the decoding is tested rather
/// than the machine the tests run on.
class QTENSOR_LIGHT_EXPORT CpuidReader {
public:
  virtual ~CpuidReader();
  /// The registers EAX, EBX, ECX, EDX of `leaf` and `subleaf`; false when
  /// the CPU reports no such leaf (above the maximum of its range).
  virtual bool cpuid(uint32_t leaf, uint32_t subleaf,
                     uint32_t registers[4]) const = 0;
  /// XCR0, the register state the OS saves. Asked only when cpuid leaf 1
  /// reports OSXSAVE.
  virtual uint64_t xcr0() const = 0;
};

/// The host's cpuid and xgetbv.
QTENSOR_LIGHT_EXPORT const CpuidReader &hostCpuid();

/// True when `cpu` reports `feature` and, for AVX and AVX-512 features, the
/// OS saves their registers; false for a feature that is not checkable.
QTENSOR_LIGHT_EXPORT bool cpuHasFeature(const CpuidReader &cpu,
                                        std::string_view feature);

/// cpuHasFeature(hostCpuid(), feature).
QTENSOR_LIGHT_EXPORT bool hostHasCpuFeature(std::string_view feature);

/// The features of `required` that the host lacks (or that cannot be
/// checked), in order.
QTENSOR_LIGHT_EXPORT std::vector<std::string>
missingCpuFeatures(const std::vector<std::string> &required);

} // namespace qtensor

#endif // QTENSOR_RUNTIME_CPUFEATURES_H
