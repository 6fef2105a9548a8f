//===- Profile.cpp - the profile points compiled code calls ---------------===//

#include "qtensor/Runtime/EntryPoint.h"

#include <chrono>

extern "C" void qtensorProfilePoint(int64_t *counters, int64_t point) {
  // Per thread: several calls may run at once, each on its own thread.
  thread_local int64_t *openCounters = nullptr;
  thread_local int64_t openPoint = -1;
  thread_local std::chrono::steady_clock::time_point openedAt;
  auto now = std::chrono::steady_clock::now();
  if (openCounters == counters && openPoint >= 0) {
    int64_t elapsed =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - openedAt)
            .count();
    __atomic_fetch_add(&counters[2 * openPoint], elapsed, __ATOMIC_RELAXED);
    __atomic_fetch_add(&counters[2 * openPoint + 1], 1, __ATOMIC_RELAXED);
  }
  openCounters = counters;
  openPoint = point;
  openedAt = now;
}
