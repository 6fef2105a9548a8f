//===- DriverApi.cpp - dlopen the CUDA driver, resolve its entry points ---===//

#include "DriverApi.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace qtensor::cuda::driver {

std::string driverPath() {
  const char *overridden = std::getenv("QTENSOR_CUDA_DRIVER");
  if (overridden && *overridden)
    return overridden;
  return "libcuda.so.1";
}

std::string formatDriverVersion(int version) {
  return std::to_string(version / 1000) + "." +
         std::to_string(version % 1000 / 10);
}

LoadedDriver loadDriver(const std::string &path) {
  LoadedDriver driver;
  // RTLD_LOCAL: the driver's symbols must not satisfy anyone else's
  // references; we only reach them through dlsym.
  driver.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!driver.handle) {
    const char *reason = dlerror();
    std::string detail = reason ? reason : "unknown dlopen error";
    // A missing file is the common case (a machine without the NVIDIA
    // driver): say so plainly; anything else (wrong architecture, a broken
    // install) keeps the loader's words.
    if (detail.find("No such file") != std::string::npos)
      driver.error = "no CUDA driver: " + path + " not found";
    else
      driver.error = "cannot load the CUDA driver '" + path + "': " + detail;
    return driver;
  }

#define QTENSOR_RESOLVE_ENTRY_POINT(symbol, parameters)                        \
  driver.api.symbol = reinterpret_cast<decltype(driver.api.symbol)>(           \
      dlsym(driver.handle, #symbol));                                          \
  if (!driver.api.symbol) {                                                    \
    driver.error = "the CUDA driver '" + path +                                \
                   "' has no entry point " #symbol                             \
                   " (a driver older than CUDA 12?)";                          \
    unloadDriver(driver);                                                      \
    return driver;                                                             \
  }
  QTENSOR_CUDA_DRIVER_ENTRY_POINTS(QTENSOR_RESOLVE_ENTRY_POINT)
#undef QTENSOR_RESOLVE_ENTRY_POINT
#define QTENSOR_RESOLVE_GRAPH_ENTRY_POINT(symbol, parameters)                  \
  driver.api.symbol = reinterpret_cast<decltype(driver.api.symbol)>(           \
      dlsym(driver.handle, #symbol));                                          \
  if (!driver.api.symbol && !driver.api.missingGraphEntryPoint)                \
    driver.api.missingGraphEntryPoint = #symbol;
  QTENSOR_CUDA_GRAPH_ENTRY_POINTS(QTENSOR_RESOLVE_GRAPH_ENTRY_POINT)
#undef QTENSOR_RESOLVE_GRAPH_ENTRY_POINT
  for (const char *name : {"cuEventElapsedTime_v2", "cuEventElapsedTime"})
    if (!driver.api.eventElapsedTime)
      driver.api.eventElapsedTime =
          reinterpret_cast<decltype(driver.api.eventElapsedTime)>(
              dlsym(driver.handle, name));

  // cuDriverGetVersion works before cuInit, so even a machine without a GPU
  // reports which driver it has.
  if (Result result = driver.api.cuDriverGetVersion(&driver.version);
      result != CUDA_SUCCESS) {
    driver.error = "the CUDA driver '" + path +
                   "' does not report its version (CUresult " +
                   std::to_string(result) + ")";
    unloadDriver(driver);
    return driver;
  }
  if (driver.version < kMinimumDriverVersion) {
    driver.error = "CUDA driver " + formatDriverVersion(driver.version) +
                   " is too old: qtensor needs " +
                   formatDriverVersion(kMinimumDriverVersion) + " or newer";
    unloadDriver(driver);
    return driver;
  }
  return driver;
}

void unloadDriver(LoadedDriver &driver) {
  if (driver.handle)
    dlclose(driver.handle);
  driver.handle = nullptr;
  driver.api = DriverApi();
}

} // namespace qtensor::cuda::driver
