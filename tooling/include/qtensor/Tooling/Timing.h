//===- Timing.h - medians of timed calls ------------------------*- C++ -*-===//
//
// The one definition of the statistics every qtensor benchmark reports
// (qtensor-run --bench, qtensor-exec --bench, qtensor-bench), so that their
// numbers compare. Header-only and free of LLVM: qtensor-exec uses it.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TOOLING_TIMING_H
#define QTENSOR_TOOLING_TIMING_H

#include <algorithm>
#include <chrono>
#include <vector>

namespace qtensor {
namespace tooling {

/// The median and minimum of a set of timings, in milliseconds.
struct TimingSummary {
  double medianMs = 0;
  double minMs = 0;
};

/// The median (the mean of the two middle samples for an even count) and
/// the minimum of `samples`; zeros when there are none.
inline TimingSummary summarizeTimes(std::vector<double> samples) {
  TimingSummary summary;
  if (samples.empty())
    return summary;
  std::sort(samples.begin(), samples.end());
  size_t n = samples.size();
  summary.medianMs =
      n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  summary.minMs = samples.front();
  return summary;
}

/// Milliseconds since `start`.
inline double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// Times each of `runs` calls of `call`, after one untimed warm-up call.
template <typename Call>
std::vector<double> timeCalls(unsigned runs, Call &&call) {
  call();
  std::vector<double> samples;
  samples.reserve(runs);
  for (unsigned i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    call();
    samples.push_back(millisecondsSince(start));
  }
  return samples;
}

} // namespace tooling
} // namespace qtensor

#endif // QTENSOR_TOOLING_TIMING_H
