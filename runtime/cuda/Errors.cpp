//===- Errors.cpp - latching the first error ------------------------------===//
//
// Errors are latched instead of printed: host code has no way to receive
// them, so the first failure is kept for takeError() (the caller of the
// compiled function asks after each call) and later work is skipped, since
// it would run on data the failed step did not produce.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

#include <cstdio>

using namespace qtensor::cuda::detail;

void Runtime::latch(std::string message, bool breaksCapture) {
  std::lock_guard<std::mutex> lock(errorMutex);
  // Kept even if the caller takes the error before the capture ends.
  if (breaksCapture && capturing.load(std::memory_order_acquire) &&
      !errorDuringCapture)
    errorDuringCapture = message;
  if (error)
    return;
  if (verbose)
    std::fprintf(stderr, "qtensor-cuda: %s\n", message.c_str());
  error = std::move(message);
  errorLatched.store(true, std::memory_order_release);
  count.errorsLatched++;
}

std::optional<std::string> Runtime::take() {
  std::lock_guard<std::mutex> lock(errorMutex);
  std::optional<std::string> taken = std::move(error);
  error.reset();
  errorLatched.store(false, std::memory_order_release);
  return taken;
}

std::optional<std::string> Runtime::takeErrorDuringCapture() {
  std::lock_guard<std::mutex> lock(errorMutex);
  std::optional<std::string> taken = std::move(errorDuringCapture);
  errorDuringCapture.reset();
  return taken;
}

std::string Runtime::describe(const char *entryPoint, Result result) const {
  const char *name = nullptr;
  const char *description = nullptr;
  if (driver.api.cuGetErrorName &&
      driver.api.cuGetErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (driver.api.cuGetErrorString &&
      driver.api.cuGetErrorString(result, &description) != CUDA_SUCCESS)
    description = nullptr;
  std::string text = std::string(entryPoint) + ": ";
  text += name ? name : "CUDA error " + std::to_string(result);
  if (description && *description)
    text += std::string(" (") + description + ")";
  return text;
}

std::optional<std::string> qtensor::cuda::takeError() {
  return Runtime::get().take();
}

bool qtensor::cuda::hasError() { return Runtime::get().latched(); }
