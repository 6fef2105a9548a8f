//===- BenchSupport.h - what the CPU benchmarks share -----------*- C++ -*-===//
//
// The same-run reference figures every benchmark row carries (the DRAM read
// bandwidth, the BLAS core LibTorch runs on), the JSON output and the error
// convention of qtensor-bench and qtensor-decode-bench.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_BENCH_BENCHSUPPORT_H
#define QTENSOR_BENCH_BENCHSUPPORT_H

#include <string>

namespace qtensor {
namespace bench {

/// Prints `error: message` and exits with status 2.
[[noreturn]] void fail(const std::string &message);

/// DRAM read bandwidth in GB/s: `threads` threads each sum their part of a
/// 1 GiB buffer (far larger than the caches); the best of a few passes.
/// 0 when the CPU has no AVX2.
double measureReadBandwidth(int threads);

/// The BLAS LibTorch calls: "OpenBLAS Zen (OPENBLAS_CORETYPE=...)".
std::string blasCore();

/// `text` as a JSON string literal.
std::string jsonString(const std::string &text);

} // namespace bench
} // namespace qtensor

#endif // QTENSOR_BENCH_BENCHSUPPORT_H
