//===- BenchSupport.cpp - what the CPU benchmarks share -------------------===//

#include "BenchSupport.h"

#include "qtensor/Tooling/Timing.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <immintrin.h>
#include <thread>
#include <vector>

namespace qtensor {
namespace bench {

void fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::exit(2);
}

namespace {

/// Sums `count` floats with four independent AVX2 accumulators: a read
/// loop that the memory system, not the adds, limits.
__attribute__((target("avx2"))) float sumFloats(const float *data,
                                                size_t count) {
  __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 32 <= count; i += 32) {
    a = _mm256_add_ps(a, _mm256_load_ps(data + i));
    b = _mm256_add_ps(b, _mm256_load_ps(data + i + 8));
    c = _mm256_add_ps(c, _mm256_load_ps(data + i + 16));
    d = _mm256_add_ps(d, _mm256_load_ps(data + i + 24));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes,
                  _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
  float sum = 0;
  for (float lane : lanes)
    sum += lane;
  for (; i < count; ++i)
    sum += data[i];
  return sum;
}

} // namespace

/// DRAM read bandwidth in GB/s: `threads` threads each sum their part of a
/// 1 GiB buffer (far larger than the caches); the best of a few passes.
/// 0 when the CPU has no AVX2.
double measureReadBandwidth(int threads) {
  if (!__builtin_cpu_supports("avx2"))
    return 0;
  const size_t bytes = size_t(1) << 30;
  const size_t floats = bytes / sizeof(float);
  float *buffer = static_cast<float *>(std::aligned_alloc(64, bytes));
  if (!buffer)
    return 0;
  std::memset(buffer, 0, bytes);
  std::atomic<uint32_t> sink{0};
  double best = 0;
  for (int pass = 0; pass < 5; ++pass) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    size_t part = floats / threads / 32 * 32;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        size_t count = t + 1 == threads ? floats - part * t : part;
        sink += sumFloats(buffer + part * t, count) > 0 ? 1 : 0;
      });
    for (std::thread &worker : workers)
      worker.join();
    best = std::max(
        best, bytes / (qtensor::tooling::millisecondsSince(start) / 1e3) / 1e9);
  }
  std::free(buffer);
  return best;
}

std::string blasCore() {
  using CoreName = char *(*)();
  auto name =
      reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!name) {
    void *handle = dlopen("libblas.so.3", RTLD_LAZY | RTLD_NOLOAD);
    if (handle)
      name = reinterpret_cast<CoreName>(dlsym(handle, "openblas_get_corename"));
  }
  if (!name)
    return "unknown (not OpenBLAS)";
  const char *env = std::getenv("OPENBLAS_CORETYPE");
  return std::string("OpenBLAS ") + name() +
         (env ? std::string(" (OPENBLAS_CORETYPE=") + env + ")" : "");
}

std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

} // namespace bench
} // namespace qtensor
