//===- Profile.h - the op profile as a table --------------------*- C++ -*-===//
//
// Header-only, free of LLVM: qtensor-generate and the decoding benchmark
// print the op profile (CompileOptions::profile) the same way.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TOOLING_PROFILE_H
#define QTENSOR_TOOLING_PROFILE_H

#include "qtensor/Runtime/Runtime.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace qtensor {
namespace tooling {

/// Seconds per category ("linear", "attention", "other"), summed.
inline std::map<std::string, double>
profileByCategory(const std::vector<ProfileEntry> &entries) {
  std::map<std::string, double> totals;
  for (const ProfileEntry &entry : entries)
    totals[entry.category] += entry.seconds;
  return totals;
}

/// The profile divided by `calls` (the forwards it covers): each
/// category's time and share, then the `top` slowest entries.
inline std::string formatProfile(const std::vector<ProfileEntry> &entries,
                                 int64_t calls, size_t top = 10) {
  char line[256];
  std::map<std::string, double> categories = profileByCategory(entries);
  double total = 0;
  for (const auto &[category, seconds] : categories)
    total += seconds;
  double divisor = static_cast<double>(std::max<int64_t>(calls, 1));
  double perCall = 1e3 / divisor;
  std::snprintf(line, sizeof line,
                "op profile, per call (%lld calls): %.3f ms in profiled ops\n",
                static_cast<long long>(calls), total * perCall);
  std::string text = line;
  for (const auto &[category, seconds] : categories) {
    std::snprintf(line, sizeof line, "  %-10s %10.3f ms %5.1f%%\n",
                  category.c_str(), seconds * perCall,
                  total > 0 ? 100 * seconds / total : 0.0);
    text += line;
  }
  std::vector<ProfileEntry> slowest = entries;
  std::sort(slowest.begin(), slowest.end(),
            [](const ProfileEntry &a, const ProfileEntry &b) {
              return a.seconds > b.seconds;
            });
  if (slowest.size() > top)
    slowest.resize(top);
  if (!slowest.empty()) {
    std::snprintf(line, sizeof line, "the %zu slowest entries:\n",
                  slowest.size());
    text += line;
  }
  for (const ProfileEntry &entry : slowest) {
    std::snprintf(line, sizeof line, "  %10.3f ms %6.2fx  %-10s %s\n",
                  entry.seconds * perCall,
                  static_cast<double>(entry.calls) / divisor,
                  entry.category.c_str(), entry.name.c_str());
    text += line;
  }
  return text;
}

} // namespace tooling
} // namespace qtensor

#endif // QTENSOR_TOOLING_PROFILE_H
