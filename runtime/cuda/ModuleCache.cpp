//===- ModuleCache.cpp - modules and functions, cached --------------------===//
//
// mgpuModuleLoad(JIT) runs once per generated module, mgpuModuleGetFunction
// once per launch: modules are cached by (device, image address), checked
// against a hash of the image's bytes, and reference-counted; functions by
// (module, name), with the dynamic shared memory each has been allowed.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

using namespace qtensor::cuda;
using namespace qtensor::cuda::detail;
using namespace qtensor::cuda::driver;

namespace {

/// 64-bit FNV-1a.
uint64_t hashBytes(const void *data, size_t size) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  return hash;
}

} // namespace

Module Runtime::loadModule(int device, const void *image, size_t size,
                           int jitOptLevel) {
  uint64_t hash = hashBytes(image, size);
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_pair(device, image);
  if (auto cached = modulesByImage.find(key); cached != modulesByImage.end()) {
    ModuleRecord &record = *cached->second;
    if (record.size == size && record.hash == hash) {
      record.references++;
      count.moduleLoadsReused++;
      return record.module;
    }
    // Another image now lives where the cached one was: its owner freed it
    // without unloading. Keep the old module alive (someone may still hold
    // it) but stop answering with it.
    orphanModules.emplace_back(record.device, record.module);
    modulesByHandle.erase(record.module);
    modulesByImage.erase(cached);
  }

  Module module = nullptr;
  if (jitOptLevel < 0) {
    if (!check(driver.api.cuModuleLoadData(&module, image), "cuModuleLoadData",
               [&] {
                 return ", loading a " + std::to_string(size) +
                        "-byte GPU binary";
               }))
      return nullptr;
  } else {
    // The JIT's own words are the useful part of a PTX error.
    char log[8192] = {};
    JitOption options[] = {CU_JIT_ERROR_LOG_BUFFER,
                           CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                           CU_JIT_OPTIMIZATION_LEVEL};
    void *values[] = {log, reinterpret_cast<void *>(sizeof(log) - 1),
                      reinterpret_cast<void *>(static_cast<intptr_t>(
                          std::clamp(jitOptLevel, 0, 4)))};
    Result result =
        driver.api.cuModuleLoadDataEx(&module, image, 3, options, values);
    if (result != CUDA_SUCCESS) {
      std::string jitLog(log, strnlen(log, sizeof(log)));
      while (!jitLog.empty() && (jitLog.back() == '\n' || jitLog.back() == ' '))
        jitLog.pop_back();
      std::replace(jitLog.begin(), jitLog.end(), '\n', ' ');
      check(result, "cuModuleLoadDataEx", [&] {
        return ", JIT-compiling " + std::to_string(size - 1) + " bytes of PTX" +
               (jitLog.empty() ? std::string() : ": " + jitLog);
      });
      return nullptr;
    }
  }
  count.moduleLoads++;
  auto record = std::make_unique<ModuleRecord>();
  record->device = device;
  record->image = image;
  record->size = size;
  record->hash = hash;
  record->module = module;
  record->references = 1;
  modulesByHandle[module] = record.get();
  modulesByImage[key] = std::move(record);
  return module;
}

void Runtime::unloadModule(Module module) {
  int device = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = modulesByHandle.find(module);
    if (found != modulesByHandle.end()) {
      ModuleRecord &record = *found->second;
      if (--record.references > 0)
        return;
      device = record.device;
      modulesByImage.erase(std::make_pair(record.device, record.image));
      modulesByHandle.erase(found);
    } else {
      auto orphan = std::find_if(
          orphanModules.begin(), orphanModules.end(),
          [&](const auto &entry) { return entry.second == module; });
      // Not ours (or from before resetForTesting): leave it alone.
      if (orphan == orphanModules.end())
        return;
      device = orphan->first;
      orphanModules.erase(orphan);
    }
    if (auto functions = functionsByModule.find(module);
        functions != functionsByModule.end()) {
      for (const auto &function : functions->second)
        functionsByHandle.erase(function->function);
      functionsByModule.erase(functions);
    }
  }
  DeviceScope scope(*this, device, /*forRelease=*/true);
  if (!scope)
    return;
  check(scope.api().cuModuleUnload(module), "cuModuleUnload");
  count.moduleUnloads++;
}

Function Runtime::getFunction(Module module, const char *name) {
  int device = defaultDevice;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto functions = functionsByModule.find(module);
        functions != functionsByModule.end())
      for (const auto &function : functions->second)
        if (function->name == name) {
          count.functionLookupsReused++;
          return function->function;
        }
    if (auto record = modulesByHandle.find(module);
        record != modulesByHandle.end())
      device = record->second->device;
  }
  DeviceScope scope(*this, device);
  if (!scope)
    return nullptr;
  Function function = nullptr;
  if (!check(scope.api().cuModuleGetFunction(&function, module, name),
             "cuModuleGetFunction",
             [&] { return std::string(", looking up kernel '") + name + "'"; }))
    return nullptr;
  count.functionLookups++;
  std::lock_guard<std::mutex> lock(mutex);
  auto record = std::make_unique<FunctionRecord>();
  record->module = module;
  record->device = device;
  record->name = name;
  record->function = function;
  functionsByHandle[function] = record.get();
  functionsByModule[module].push_back(std::move(record));
  return function;
}

FunctionRecord Runtime::describeFunction(Function function) {
  std::lock_guard<std::mutex> lock(mutex);
  auto found = functionsByHandle.find(function);
  if (found != functionsByHandle.end())
    return *found->second;
  FunctionRecord unknown;
  unknown.function = function;
  unknown.device = defaultDevice;
  unknown.name = "<unknown kernel>";
  return unknown;
}

bool Runtime::allowSharedMemory(const FunctionRecord &record,
                                DeviceState &device, int bytes) {
  if (bytes <= record.sharedMemoryOptIn)
    return true;
  if (bytes > device.maxSharedMemoryOptIn) {
    latch("mgpuLaunchKernel: kernel '" + record.name + "' needs " +
          std::to_string(bytes) + " bytes of dynamic shared memory, GPU " +
          std::to_string(record.device) + " allows " +
          std::to_string(device.maxSharedMemoryOptIn) + " per block");
    return false;
  }
  if (!check(driver.api.cuFuncSetAttribute(
                 record.function,
                 CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
             "cuFuncSetAttribute", [&] {
               return ", allowing kernel '" + record.name + "' " +
                      std::to_string(bytes) + " bytes of dynamic shared memory";
             }))
    return false;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto found = functionsByHandle.find(record.function);
      found != functionsByHandle.end())
    found->second->sharedMemoryOptIn =
        std::max(found->second->sharedMemoryOptIn, bytes);
  return true;
}

/// Module loads are never skipped for a latched error: the generated global
/// constructor loads once, and a skipped load would break the model for
/// good.
void *detail::loadModuleOnDefaultDevice(const void *image, size_t size,
                                        int jitOptLevel, const char *what) {
  Runtime &runtime = Runtime::get();
  if (!image) {
    runtime.latch(std::string(what) + ": no image");
    return nullptr;
  }
  DeviceScope scope(runtime, defaultDevice);
  if (!scope)
    return nullptr;
  return runtime.loadModule(defaultDevice, image, size, jitOptLevel);
}
