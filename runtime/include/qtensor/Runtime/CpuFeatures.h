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

#include <string_view>

namespace qtensor {

/// True for the features this file can check on the host. An artifact lists
/// only those; the others (x87, 64bit, ...) every x86-64 host has or they
/// do not change the instructions qtensor's code uses.
QTENSOR_LIGHT_EXPORT bool isCheckableCpuFeature(std::string_view feature);

/// True when the host CPU and OS support `feature`; false for a feature that
/// is not checkable.
QTENSOR_LIGHT_EXPORT bool hostHasCpuFeature(std::string_view feature);

/// The features of `required` that the host lacks (or that cannot be
/// checked), in order.
QTENSOR_LIGHT_EXPORT std::vector<std::string>
missingCpuFeatures(const std::vector<std::string> &required);

} // namespace qtensor

#endif // QTENSOR_RUNTIME_CPUFEATURES_H
