//===- FakeCudaDriver.cpp - a libcuda.so.1 for tests without a GPU --------===//
//
// Implements every entry point of runtime/cuda/DriverApi.h the way the real
// driver answers the calls the runtime makes: handles are checked, device
// memory is host memory (so copies through it round-trip), an entry point
// without a current context fails with CUDA_ERROR_INVALID_CONTEXT, a launch
// needs a function of a loaded module. FakeCudaDriver.h describes the state
// a test configures and inspects.
//
//===----------------------------------------------------------------------===//

#include "FakeCudaDriver.h"

#include "DriverApi.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <thread>
#include <type_traits>

using namespace qtensor::cuda::driver;
using qtensor::cuda::fake::FakeCudaState;

namespace {

FakeCudaState &state() {
  // Never destroyed: the runtime may call in from static destructors.
  static FakeCudaState *instance = new FakeCudaState();
  return *instance;
}

/// One fake primary context per device ordinal.
char primaryContexts[64];

/// The driver's per-thread context stack. Not a thread_local: the global
/// destructors of generated code (module unloads) run after the main
/// thread's thread_local objects are destroyed. Never freed, and reachable
/// (no leak report).
std::vector<Context> &contextStack() {
  static auto *stacks = new std::map<std::thread::id, std::vector<Context>>();
  static auto *mutex = new std::mutex();
  std::lock_guard<std::mutex> lock(*mutex);
  return (*stacks)[std::this_thread::get_id()];
}

/// QTENSOR_FAKE_CUDA_TRACE=1: every call and launch is written to stderr,
/// for tests that run generated code in another process (mlir-runner).
bool tracing() {
  static const bool enabled = [] {
    const char *flag = std::getenv("QTENSOR_FAKE_CUDA_TRACE");
    return flag && *flag && std::strcmp(flag, "0") != 0;
  }();
  return enabled;
}

/// Counts the call; returns an injected failure code, or 0.
Result enter(const char *entryPoint) {
  FakeCudaState &fake = state();
  fake.calls[entryPoint]++;
  if (tracing())
    std::fprintf(stderr, "fake-cuda: %s\n", entryPoint);
  auto found = fake.failures.find(entryPoint);
  if (found == fake.failures.end())
    return CUDA_SUCCESS;
  if (found->second.skipped > 0) {
    --found->second.skipped;
    return CUDA_SUCCESS;
  }
  Result code = found->second.code;
  if (found->second.remaining > 0 && --found->second.remaining == 0)
    fake.failures.erase(found);
  return code;
}

#define FAKE_ENTER(name)                                                       \
  std::lock_guard<std::recursive_mutex> lock(state().mutex);                   \
  if (Result injected = enter(name))                                           \
  return injected

Result needContext() {
  return !contextStack().empty() && contextStack().back()
             ? CUDA_SUCCESS
             : CUDA_ERROR_INVALID_CONTEXT;
}

Result needInitialized() {
  return state().initialized ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED;
}

int currentDevice() {
  return static_cast<int>(reinterpret_cast<char *>(contextStack().back()) -
                          primaryContexts);
}

/// The device allocation containing [address, address + bytes), if any.
bool insideAllocation(DevicePtr address, size_t bytes) {
  auto &allocations = state().allocations;
  auto next = allocations.upper_bound(address);
  if (next == allocations.begin())
    return false;
  auto containing = std::prev(next);
  return address + bytes <= containing->first + containing->second;
}

/// What a capture in a strict mode (global or thread-local; the fake treats
/// both as global) forbids on every stream: calls that may synchronize with
/// the device. Such a call invalidates the capture.
Result unsafeWhileCapturing() {
  for (auto &[stream, capture] : state().captures)
    if (capture.mode != CU_STREAM_CAPTURE_MODE_RELAXED) {
      capture.invalidated = true;
      return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
  return CUDA_SUCCESS;
}

/// Work on a capturing stream other than a kernel launch: the real driver
/// captures copies and events too, the fake only kernels, and nothing may
/// synchronize a capturing stream. Invalidates the capture.
Result notWhileStreamCaptures(Stream stream) {
  auto found = state().captures.find(stream);
  if (found == state().captures.end())
    return CUDA_SUCCESS;
  found->second.invalidated = true;
  return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
}

/// Both checks, for calls on a stream that may synchronize with it.
Result checkCaptureRules(Stream stream) {
  if (Result result = notWhileStreamCaptures(stream))
    return result;
  return unsafeWhileCapturing();
}

qtensor::cuda::fake::Function *findFunction(Function handle) {
  for (auto &[key, module] : state().modules)
    for (auto &function : module->functions)
      if (reinterpret_cast<Function>(function.get()) == handle)
        return function.get();
  return nullptr;
}

/// The `.entry NAME` declarations of a PTX-like image.
std::vector<std::string> entryNames(const std::string &image) {
  std::vector<std::string> names;
  const std::string marker = ".entry ";
  for (size_t at = image.find(marker); at != std::string::npos;
       at = image.find(marker, at + 1)) {
    size_t begin = at + marker.size();
    size_t end = begin;
    while (end < image.size() &&
           (std::isalnum(static_cast<unsigned char>(image[end])) ||
            image[end] == '_' || image[end] == '$' || image[end] == '.'))
      ++end;
    if (end > begin)
      names.push_back(image.substr(begin, end - begin));
  }
  return names;
}

/// Little-endian fields of binary images.
template <typename T> T readField(const unsigned char *at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

constexpr uint32_t kFatbinMagic = 0xBA55ED50;
constexpr unsigned char kElfMagic[4] = {0x7f, 'E', 'L', 'F'};

bool isElf(const unsigned char *image, size_t size) {
  return size >= 64 && std::memcmp(image, kElfMagic, 4) == 0 &&
         image[4] == 2 /* ELFCLASS64 */;
}

/// The size of an ELF64 section header, the least `e_shentsize` read.
constexpr uint16_t kSectionHeaderSize = 64;
/// Offsets and sizes past this are not those of a kernel image.
constexpr uint64_t kMaxImageBytes = uint64_t(1) << 32;

/// An ELF64 image's section header table, and the fields of a section
/// header the fake reads.
struct SectionTable {
  const unsigned char *elf;
  uint64_t offset;
  uint16_t entrySize, count;

  explicit SectionTable(const unsigned char *elf)
      : elf(elf), offset(readField<uint64_t>(elf + 0x28)),
        entrySize(readField<uint16_t>(elf + 0x3a)),
        count(readField<uint16_t>(elf + 0x3c)) {}
  /// Headers of the size ELF64 gives them, at a plausible offset.
  bool readable() const {
    return entrySize >= kSectionHeaderSize && offset <= kMaxImageBytes;
  }
  uint64_t bytes() const { return uint64_t(entrySize) * count; }
  const unsigned char *header(uint64_t i) const {
    return elf + offset + i * entrySize;
  }
  uint32_t type(uint64_t i) const { return readField<uint32_t>(header(i) + 4); }
  uint32_t link(uint64_t i) const {
    return readField<uint32_t>(header(i) + 0x28);
  }
  uint64_t dataOffset(uint64_t i) const {
    return readField<uint64_t>(header(i) + 0x18);
  }
  uint64_t dataBytes(uint64_t i) const {
    return readField<uint64_t>(header(i) + 0x20);
  }
};

/// The extent of an ELF64 image, which the driver is given without a size:
/// up to the end of its section headers or of its last section with
/// contents, whichever is later. 0 for headers the fake cannot read.
size_t elfSize(const unsigned char *elf) {
  SectionTable sections(elf);
  if (!sections.readable())
    return 0;
  uint64_t end = sections.offset + sections.bytes();
  for (uint16_t i = 0; i < sections.count; ++i) {
    if (sections.type(i) == 8 /* SHT_NOBITS */)
      continue;
    uint64_t offset = sections.dataOffset(i), bytes = sections.dataBytes(i);
    if (offset > kMaxImageBytes || bytes > kMaxImageBytes)
      return 0;
    end = std::max(end, offset + bytes);
  }
  return end;
}

/// [offset, offset + bytes) lies inside `size` bytes (no overflow).
bool inside(uint64_t offset, uint64_t bytes, uint64_t size) {
  return offset <= size && bytes <= size - offset;
}

/// A cubin's sm (90 for sm_90): the byte of `e_flags` its ABI version puts
/// it in.
int cubinArch(const unsigned char *elf) {
  uint32_t flags = readField<uint32_t>(elf + 0x30);
  return elf[8] >= 8 ? static_cast<int>((flags >> 8) & 0xff)
                     : static_cast<int>(flags & 0xff);
}

/// The kernels of a cubin: the global functions of its symbol table. False
/// for a malformed image.
bool cubinFunctions(const unsigned char *elf, size_t size,
                    std::vector<std::string> &names) {
  if (!isElf(elf, size))
    return false;
  SectionTable sections(elf);
  if (!sections.readable() || !inside(sections.offset, sections.bytes(), size))
    return false;
  for (uint16_t i = 0; i < sections.count; ++i) {
    if (sections.type(i) != 2 /* SHT_SYMTAB */)
      continue;
    uint32_t link = sections.link(i);
    uint64_t offset = sections.dataOffset(i), bytes = sections.dataBytes(i);
    if (link >= sections.count || !inside(offset, bytes, size))
      return false;
    uint64_t stringsOffset = sections.dataOffset(link);
    uint64_t stringsBytes = sections.dataBytes(link);
    if (!inside(stringsOffset, stringsBytes, size))
      return false;
    for (uint64_t at = offset; at + 24 <= offset + bytes; at += 24) {
      uint32_t name = readField<uint32_t>(elf + at);
      unsigned char info = elf[at + 4];
      if ((info & 0xf) != 2 /* STT_FUNC */ || (info >> 4) != 1 /* GLOBAL */ ||
          name >= stringsBytes)
        continue;
      const char *text =
          reinterpret_cast<const char *>(elf + stringsOffset + name);
      names.emplace_back(text, strnlen(text, stringsBytes - name));
    }
  }
  return true;
}

/// Whether code for `arch` runs on the current fake device: a cubin on
/// the same major version and no older minor; PTX on any newer device.
bool runsOnDevice(int arch, bool isPtx) {
  int device =
      state().computeCapabilityMajor * 10 + state().computeCapabilityMinor;
  if (isPtx)
    return arch <= device;
  return arch / 10 == device / 10 && arch % 10 <= device % 10;
}

/// The kernels of a cubin, fatbin or PTX image for the current device: as
/// the real driver, a fatbin loads its cubin for the device or else its
/// PTX (the fake takes the kernel names of a PTX entry, which is usually
/// compressed, from the fatbin's cubins). CUDA_ERROR_NO_BINARY_FOR_GPU when
/// nothing in it runs on the device.
Result imageFunctions(const void *image, std::vector<std::string> &names) {
  const auto *bytes = static_cast<const unsigned char *>(image);
  // Neither magic has a NUL byte: a shorter string is PTX text (or junk).
  bool hasMagic = strnlen(static_cast<const char *>(image), 4) == 4;
  if (hasMagic && readField<uint32_t>(bytes) == kFatbinMagic) {
    uint16_t headerSize = readField<uint16_t>(bytes + 6);
    uint64_t entriesSize = readField<uint64_t>(bytes + 8);
    bool runnable = false;
    for (uint64_t at = headerSize; at + 32 <= headerSize + entriesSize;) {
      const unsigned char *entry = bytes + at;
      uint16_t kind = readField<uint16_t>(entry);
      uint32_t entryHeaderSize = readField<uint32_t>(entry + 4);
      uint64_t payloadSize = readField<uint64_t>(entry + 8);
      int arch = static_cast<int>(readField<uint32_t>(entry + 28));
      if (entryHeaderSize < 32 ||
          !inside(at + entryHeaderSize, payloadSize, headerSize + entriesSize))
        return CUDA_ERROR_INVALID_IMAGE;
      const unsigned char *payload = entry + entryHeaderSize;
      if (kind == 2 /* ELF */ && !cubinFunctions(payload, payloadSize, names))
        return CUDA_ERROR_INVALID_IMAGE;
      if (kind == 1 || kind == 2)
        runnable |= runsOnDevice(arch, kind == 1);
      at += entryHeaderSize + payloadSize;
    }
    if (names.empty())
      return CUDA_ERROR_INVALID_IMAGE;
    return runnable ? CUDA_SUCCESS : CUDA_ERROR_NO_BINARY_FOR_GPU;
  }
  if (hasMagic && isElf(bytes, 64)) {
    if (!cubinFunctions(bytes, elfSize(bytes), names) || names.empty())
      return CUDA_ERROR_INVALID_IMAGE;
    return runsOnDevice(cubinArch(bytes), false) ? CUDA_SUCCESS
                                                 : CUDA_ERROR_NO_BINARY_FOR_GPU;
  }
  names = entryNames(static_cast<const char *>(image));
  return names.empty() ? CUDA_ERROR_INVALID_IMAGE : CUDA_SUCCESS;
}

Result loadImage(Module *module, const void *image) {
  if (Result result = unsafeWhileCapturing())
    return result;
  if (!module || !image)
    return CUDA_ERROR_INVALID_VALUE;
  if (Result result = needContext())
    return result;
  std::vector<std::string> names;
  if (Result result = imageFunctions(image, names))
    return result;
  auto loaded = std::make_unique<qtensor::cuda::fake::Module>();
  loaded->device = currentDevice();
  for (const std::string &name : names) {
    auto function = std::make_unique<qtensor::cuda::fake::Function>();
    function->module = loaded.get();
    function->name = name;
    loaded->functions.push_back(std::move(function));
  }
  *module = reinterpret_cast<Module>(loaded.get());
  state().modules[loaded.get()] = std::move(loaded);
  return CUDA_SUCCESS;
}

Result recordLaunch(Function handle, const unsigned grid[3],
                    const unsigned block[3], const unsigned cluster[3],
                    unsigned sharedMemBytes, Stream stream, void **params) {
  if (Result result = needContext())
    return result;
  qtensor::cuda::fake::Function *function = findFunction(handle);
  if (!function)
    return CUDA_ERROR_INVALID_HANDLE;
  if (stream && !state().streams.count(stream))
    return CUDA_ERROR_INVALID_HANDLE;
  for (int i = 0; i < 3; ++i)
    if (grid[i] == 0 || block[i] == 0)
      return CUDA_ERROR_INVALID_VALUE;
  int allowed = 48 * 1024;
  if (auto found = function->attributes.find(
          CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
      found != function->attributes.end())
    allowed = found->second;
  if (sharedMemBytes > static_cast<unsigned>(allowed))
    return CUDA_ERROR_INVALID_VALUE;
  qtensor::cuda::fake::Launch launch;
  launch.function = function->name;
  for (int i = 0; i < 3; ++i) {
    launch.grid[i] = grid[i];
    launch.block[i] = block[i];
    launch.cluster[i] = cluster[i];
  }
  launch.sharedMemBytes = sharedMemBytes;
  launch.stream = stream;
  if (auto capture = state().captures.find(stream);
      capture != state().captures.end()) {
    if (capture->second.invalidated)
      return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    capture->second.graph->launches.push_back(launch);
    return CUDA_SUCCESS;
  }
  launch.params = params;
  state().launches.push_back(launch);
  if (tracing())
    std::fprintf(stderr,
                 "fake-cuda: launched %s grid %ux%ux%u block %ux%ux%u\n",
                 function->name.c_str(), grid[0], grid[1], grid[2], block[0],
                 block[1], block[2]);
  return CUDA_SUCCESS;
}

struct ErrorText {
  Result code;
  const char *name;
  const char *description;
};

// The real driver's names and descriptions for the codes the fake returns.
constexpr ErrorText kErrorTexts[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU",
     "no kernel image is available for execution on the device"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {401, "CUDA_ERROR_ILLEGAL_STATE",
     "the operation cannot be performed in the present state"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS",
     "an illegal memory access was encountered"},
    {713, "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED",
     "pointer does not correspond to a registered memory region"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
     "operation not permitted when stream is capturing"},
    {901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
     "operation failed due to a previous error during capture"},
};

const ErrorText *findErrorText(Result code) {
  for (const ErrorText &text : kErrorTexts)
    if (text.code == code)
      return &text;
  return nullptr;
}

} // namespace

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

FAKE_EXPORT FakeCudaState *qtensorFakeCudaState() { return &state(); }

FAKE_EXPORT Result cuGetErrorName(Result error, const char **name) {
  std::lock_guard<std::recursive_mutex> lock(state().mutex);
  enter("cuGetErrorName");
  const ErrorText *text = findErrorText(error);
  *name = text ? text->name : nullptr;
  return text ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

FAKE_EXPORT Result cuGetErrorString(Result error, const char **description) {
  std::lock_guard<std::recursive_mutex> lock(state().mutex);
  enter("cuGetErrorString");
  const ErrorText *text = findErrorText(error);
  *description = text ? text->description : nullptr;
  return text ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

FAKE_EXPORT Result cuDriverGetVersion(int *version) {
  FAKE_ENTER("cuDriverGetVersion");
  *version = state().driverVersion;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuInit(unsigned flags) {
  FAKE_ENTER("cuInit");
  if (flags != 0)
    return CUDA_ERROR_INVALID_VALUE;
  if (state().deviceCount == 0)
    return CUDA_ERROR_NO_DEVICE;
  state().initialized = true;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuDeviceGetCount(int *count) {
  FAKE_ENTER("cuDeviceGetCount");
  if (Result result = needInitialized())
    return result;
  *count = state().deviceCount;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuDeviceGet(Device *device, int ordinal) {
  FAKE_ENTER("cuDeviceGet");
  if (state().deviceCount == 0)
    return CUDA_ERROR_NO_DEVICE;
  if (Result result = needInitialized())
    return result;
  if (ordinal < 0 || ordinal >= state().deviceCount || ordinal >= 64)
    return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuDeviceGetName(char *name, int length, Device device) {
  FAKE_ENTER("cuDeviceGetName");
  if (device < 0 || device >= state().deviceCount)
    return CUDA_ERROR_INVALID_DEVICE;
  if (!name || length <= 0)
    return CUDA_ERROR_INVALID_VALUE;
  std::strncpy(name, state().deviceName.c_str(), length - 1);
  name[length - 1] = '\0';
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuDeviceGetAttribute(int *value, int attribute,
                                        Device device) {
  FAKE_ENTER("cuDeviceGetAttribute");
  if (device < 0 || device >= state().deviceCount)
    return CUDA_ERROR_INVALID_DEVICE;
  switch (attribute) {
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
    *value = state().computeCapabilityMajor;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
    *value = state().computeCapabilityMinor;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN:
    *value = state().maxSharedMemoryPerBlockOptIn;
    return CUDA_SUCCESS;
  default:
    return CUDA_ERROR_INVALID_VALUE;
  }
}

FAKE_EXPORT Result cuDevicePrimaryCtxRetain(Context *context, Device device) {
  FAKE_ENTER("cuDevicePrimaryCtxRetain");
  if (Result result = needInitialized())
    return result;
  if (device < 0 || device >= state().deviceCount || device >= 64)
    return CUDA_ERROR_INVALID_DEVICE;
  *context = reinterpret_cast<Context>(&primaryContexts[device]);
  state().primaryContextRetains++;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuDevicePrimaryCtxRelease_v2(Device device) {
  FAKE_ENTER("cuDevicePrimaryCtxRelease_v2");
  if (device < 0 || device >= state().deviceCount)
    return CUDA_ERROR_INVALID_DEVICE;
  state().primaryContextReleases++;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuCtxGetCurrent(Context *context) {
  FAKE_ENTER("cuCtxGetCurrent");
  *context = contextStack().empty() ? nullptr : contextStack().back();
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuCtxPushCurrent_v2(Context context) {
  FAKE_ENTER("cuCtxPushCurrent_v2");
  if (!context)
    return CUDA_ERROR_INVALID_CONTEXT;
  contextStack().push_back(context);
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuCtxPopCurrent_v2(Context *context) {
  FAKE_ENTER("cuCtxPopCurrent_v2");
  if (contextStack().empty())
    return CUDA_ERROR_INVALID_CONTEXT;
  if (context)
    *context = contextStack().back();
  contextStack().pop_back();
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuModuleLoadData(Module *module, const void *image) {
  FAKE_ENTER("cuModuleLoadData");
  return loadImage(module, image);
}

FAKE_EXPORT Result cuModuleLoadDataEx(Module *module, const void *image,
                                      unsigned numOptions, JitOption *options,
                                      void **optionValues) {
  std::lock_guard<std::recursive_mutex> lock(state().mutex);
  char *log = nullptr;
  size_t logSize = 0;
  for (unsigned i = 0; i < numOptions; ++i) {
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
      log = static_cast<char *>(optionValues[i]);
    else if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
      logSize = reinterpret_cast<size_t>(optionValues[i]);
    else if (options[i] == CU_JIT_OPTIMIZATION_LEVEL)
      state().lastJitOptimizationLevel =
          static_cast<int>(reinterpret_cast<intptr_t>(optionValues[i]));
  }
  if (Result injected = enter("cuModuleLoadDataEx")) {
    // The real JIT explains itself in the log buffer.
    if (log && logSize > 0) {
      std::strncpy(log, state().jitErrorLog.c_str(), logSize - 1);
      log[logSize - 1] = '\0';
    }
    return injected;
  }
  return loadImage(module, image);
}

FAKE_EXPORT Result cuModuleUnload(Module module) {
  FAKE_ENTER("cuModuleUnload");
  if (Result result = unsafeWhileCapturing())
    return result;
  auto found = state().modules.find(module);
  if (found == state().modules.end())
    return CUDA_ERROR_INVALID_HANDLE;
  state().modules.erase(found);
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuModuleGetFunction(Function *function, Module module,
                                       const char *name) {
  FAKE_ENTER("cuModuleGetFunction");
  if (Result result = needContext())
    return result;
  auto found = state().modules.find(module);
  if (found == state().modules.end())
    return CUDA_ERROR_INVALID_HANDLE;
  for (auto &candidate : found->second->functions)
    if (candidate->name == name) {
      *function = reinterpret_cast<Function>(candidate.get());
      return CUDA_SUCCESS;
    }
  return CUDA_ERROR_NOT_FOUND;
}

FAKE_EXPORT Result cuFuncSetAttribute(Function handle, int attribute,
                                      int value) {
  FAKE_ENTER("cuFuncSetAttribute");
  qtensor::cuda::fake::Function *function = findFunction(handle);
  if (!function)
    return CUDA_ERROR_INVALID_HANDLE;
  if (attribute == CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES &&
      value > state().maxSharedMemoryPerBlockOptIn)
    return CUDA_ERROR_INVALID_VALUE;
  function->attributes[attribute] = value;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuLaunchKernel(Function function, unsigned gridX,
                                  unsigned gridY, unsigned gridZ,
                                  unsigned blockX, unsigned blockY,
                                  unsigned blockZ, unsigned sharedMemBytes,
                                  Stream stream, void **params, void **extra) {
  FAKE_ENTER("cuLaunchKernel");
  const unsigned grid[3] = {gridX, gridY, gridZ};
  const unsigned block[3] = {blockX, blockY, blockZ};
  const unsigned cluster[3] = {1, 1, 1};
  if (!params && !extra)
    return CUDA_ERROR_INVALID_VALUE;
  return recordLaunch(function, grid, block, cluster, sharedMemBytes, stream,
                      params);
}

FAKE_EXPORT Result cuLaunchKernelEx(const LaunchConfig *config,
                                    Function function, void **params,
                                    void **extra) {
  FAKE_ENTER("cuLaunchKernelEx");
  if (!config)
    return CUDA_ERROR_INVALID_VALUE;
  const unsigned grid[3] = {config->gridDimX, config->gridDimY,
                            config->gridDimZ};
  const unsigned block[3] = {config->blockDimX, config->blockDimY,
                             config->blockDimZ};
  unsigned cluster[3] = {1, 1, 1};
  for (unsigned i = 0; i < config->numAttrs; ++i)
    if (config->attrs[i].id == CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION) {
      cluster[0] = config->attrs[i].value.clusterDim.x;
      cluster[1] = config->attrs[i].value.clusterDim.y;
      cluster[2] = config->attrs[i].value.clusterDim.z;
    }
  for (int i = 0; i < 3; ++i)
    if (cluster[i] == 0 || grid[i] % cluster[i] != 0)
      return CUDA_ERROR_INVALID_VALUE;
  (void)extra;
  return recordLaunch(function, grid, block, cluster, config->sharedMemBytes,
                      config->hStream, params);
}

/// A stream or event: a fresh heap address (holding its flags) in `live`.
template <typename Handle>
static Result createHandle(std::set<void *> &live, Handle *handle,
                           unsigned flags) {
  if (Result result = needContext())
    return result;
  void *created = new int(static_cast<int>(flags));
  live.insert(created);
  *handle = static_cast<Handle>(created);
  return CUDA_SUCCESS;
}

static Result destroyHandle(std::set<void *> &live, void *handle) {
  if (!live.erase(handle))
    return CUDA_ERROR_INVALID_HANDLE;
  delete static_cast<int *>(handle);
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuStreamCreate(Stream *stream, unsigned flags) {
  FAKE_ENTER("cuStreamCreate");
  return createHandle(state().streams, stream, flags);
}

FAKE_EXPORT Result cuStreamDestroy_v2(Stream stream) {
  FAKE_ENTER("cuStreamDestroy_v2");
  if (state().captures.count(stream))
    return CUDA_ERROR_ILLEGAL_STATE;
  return destroyHandle(state().streams, stream);
}

FAKE_EXPORT Result cuStreamSynchronize(Stream stream) {
  FAKE_ENTER("cuStreamSynchronize");
  if (stream && !state().streams.count(stream))
    return CUDA_ERROR_INVALID_HANDLE;
  if (Result result = checkCaptureRules(stream))
    return result;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuStreamWaitEvent(Stream stream, Event event,
                                     unsigned flags) {
  FAKE_ENTER("cuStreamWaitEvent");
  if ((stream && !state().streams.count(stream)) ||
      !state().events.count(event))
    return CUDA_ERROR_INVALID_HANDLE;
  if (Result result = notWhileStreamCaptures(stream))
    return result;
  return flags == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

FAKE_EXPORT Result cuEventCreate(Event *event, unsigned flags) {
  FAKE_ENTER("cuEventCreate");
  return createHandle(state().events, event, flags);
}

FAKE_EXPORT Result cuEventDestroy_v2(Event event) {
  FAKE_ENTER("cuEventDestroy_v2");
  return destroyHandle(state().events, event);
}

FAKE_EXPORT Result cuEventSynchronize(Event event) {
  FAKE_ENTER("cuEventSynchronize");
  if (Result result = unsafeWhileCapturing())
    return result;
  return state().events.count(event) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

FAKE_EXPORT Result cuEventRecord(Event event, Stream stream) {
  FAKE_ENTER("cuEventRecord");
  if ((stream && !state().streams.count(stream)) ||
      !state().events.count(event))
    return CUDA_ERROR_INVALID_HANDLE;
  if (Result result = notWhileStreamCaptures(stream))
    return result;
  // The fake clock advances by kFakeEventTickMs per recorded event.
  state().eventTimes[event] =
      ++state().eventClock * qtensor::cuda::fake::kFakeEventTickMs;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuEventElapsedTime_v2(float *milliseconds, Event start,
                                         Event end) {
  FAKE_ENTER("cuEventElapsedTime_v2");
  auto from = state().eventTimes.find(start);
  auto to = state().eventTimes.find(end);
  if (!milliseconds || from == state().eventTimes.end() ||
      to == state().eventTimes.end())
    return CUDA_ERROR_INVALID_HANDLE;
  *milliseconds = static_cast<float>(to->second - from->second);
  return CUDA_SUCCESS;
}

static Result allocate(DevicePtr *pointer, size_t bytes) {
  if (Result result = needContext())
    return result;
  if (Result result = unsafeWhileCapturing())
    return result;
  if (!pointer || bytes == 0)
    return CUDA_ERROR_INVALID_VALUE;
  void *memory = std::malloc(bytes);
  if (!memory)
    return CUDA_ERROR_OUT_OF_MEMORY;
  *pointer = reinterpret_cast<uintptr_t>(memory);
  state().allocations[*pointer] = bytes;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuMemAlloc_v2(DevicePtr *pointer, size_t bytes) {
  FAKE_ENTER("cuMemAlloc_v2");
  return allocate(pointer, bytes);
}

FAKE_EXPORT Result cuMemAllocManaged(DevicePtr *pointer, size_t bytes,
                                     unsigned flags) {
  FAKE_ENTER("cuMemAllocManaged");
  if (flags != CU_MEM_ATTACH_GLOBAL)
    return CUDA_ERROR_INVALID_VALUE;
  Result result = allocate(pointer, bytes);
  if (result == CUDA_SUCCESS)
    state().managedAllocations.insert(*pointer);
  return result;
}

FAKE_EXPORT Result cuMemFree_v2(DevicePtr pointer) {
  FAKE_ENTER("cuMemFree_v2");
  if (Result result = unsafeWhileCapturing())
    return result;
  auto found = state().allocations.find(pointer);
  if (found == state().allocations.end())
    return CUDA_ERROR_INVALID_VALUE;
  std::free(reinterpret_cast<void *>(found->first));
  state().allocations.erase(found);
  state().managedAllocations.erase(pointer);
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuMemcpyHtoD_v2(DevicePtr destination, const void *source,
                                   size_t bytes) {
  FAKE_ENTER("cuMemcpyHtoD_v2");
  if (Result result = needContext())
    return result;
  if (Result result = unsafeWhileCapturing())
    return result;
  if (!insideAllocation(destination, bytes))
    return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(reinterpret_cast<void *>(destination), source, bytes);
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuMemcpyAsync(DevicePtr destination, DevicePtr source,
                                 size_t bytes, Stream stream) {
  FAKE_ENTER("cuMemcpyAsync");
  if (Result result = needContext())
    return result;
  if (stream && !state().streams.count(stream))
    return CUDA_ERROR_INVALID_HANDLE;
  if (Result result = notWhileStreamCaptures(stream))
    return result;
  // With unified addressing either side may be host memory, but a copy
  // that touches no device allocation is a bug in the caller.
  if (!insideAllocation(destination, bytes) && !insideAllocation(source, bytes))
    return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(reinterpret_cast<void *>(destination),
              reinterpret_cast<const void *>(source), bytes);
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuMemsetD32Async(DevicePtr destination, unsigned value,
                                    size_t count, Stream stream) {
  FAKE_ENTER("cuMemsetD32Async");
  if (Result result = needContext())
    return result;
  if (Result result = notWhileStreamCaptures(stream))
    return result;
  if (!insideAllocation(destination, count * 4))
    return CUDA_ERROR_INVALID_VALUE;
  auto *words = reinterpret_cast<unsigned *>(destination);
  for (size_t i = 0; i < count; ++i)
    words[i] = value;
  (void)stream;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuMemsetD16Async(DevicePtr destination, unsigned short value,
                                    size_t count, Stream stream) {
  FAKE_ENTER("cuMemsetD16Async");
  if (Result result = needContext())
    return result;
  if (Result result = notWhileStreamCaptures(stream))
    return result;
  if (!insideAllocation(destination, count * 2))
    return CUDA_ERROR_INVALID_VALUE;
  auto *halves = reinterpret_cast<unsigned short *>(destination);
  for (size_t i = 0; i < count; ++i)
    halves[i] = value;
  (void)stream;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuMemHostRegister_v2(void *pointer, size_t bytes,
                                        unsigned flags) {
  FAKE_ENTER("cuMemHostRegister_v2");
  if (Result result = needContext())
    return result;
  if (!pointer || bytes == 0)
    return CUDA_ERROR_INVALID_VALUE;
  state().registeredHostMemory[pointer] = bytes;
  (void)flags;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuMemHostUnregister(void *pointer) {
  FAKE_ENTER("cuMemHostUnregister");
  if (!state().registeredHostMemory.erase(pointer))
    return CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED;
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// CUDA graphs: stream capture of kernel launches, and replays. Left out of
// the variant built with QTENSOR_FAKE_CUDA_NO_GRAPHS (a driver without them).
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_FAKE_CUDA_NO_GRAPHS

FAKE_EXPORT Result cuStreamBeginCapture_v2(Stream stream, int mode) {
  FAKE_ENTER("cuStreamBeginCapture_v2");
  if (Result result = needContext())
    return result;
  // The legacy default stream cannot be captured.
  if (!stream)
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  if (!state().streams.count(stream))
    return CUDA_ERROR_INVALID_HANDLE;
  if (mode < 0 || mode > CU_STREAM_CAPTURE_MODE_RELAXED)
    return CUDA_ERROR_INVALID_VALUE;
  if (state().captures.count(stream))
    return CUDA_ERROR_ILLEGAL_STATE;
  qtensor::cuda::fake::Capture &capture = state().captures[stream];
  capture.mode = mode;
  capture.graph = std::make_unique<qtensor::cuda::fake::Graph>();
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuStreamEndCapture(Stream stream, Graph *graph) {
  std::lock_guard<std::recursive_mutex> lock(state().mutex);
  Result injected = enter("cuStreamEndCapture");
  if (!graph)
    return CUDA_ERROR_INVALID_VALUE;
  auto found = state().captures.find(stream);
  if (found == state().captures.end())
    return CUDA_ERROR_ILLEGAL_STATE;
  // Failing or not, the call ends the capture (as the real driver's does).
  qtensor::cuda::fake::Capture capture = std::move(found->second);
  state().captures.erase(found);
  *graph = nullptr;
  if (injected)
    return injected;
  if (capture.invalidated)
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  *graph = reinterpret_cast<Graph>(capture.graph.get());
  state().graphs[capture.graph.get()] = std::move(capture.graph);
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuGraphGetNodes(Graph graph, GraphNode *nodes,
                                   size_t *count) {
  FAKE_ENTER("cuGraphGetNodes");
  auto found = state().graphs.find(graph);
  if (found == state().graphs.end() || !count)
    return found == state().graphs.end() ? CUDA_ERROR_INVALID_HANDLE
                                         : CUDA_ERROR_INVALID_VALUE;
  std::vector<qtensor::cuda::fake::Launch> &launches = found->second->launches;
  if (nodes)
    for (size_t i = 0; i < *count && i < launches.size(); ++i)
      nodes[i] = reinterpret_cast<GraphNode>(&launches[i]);
  *count = launches.size();
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuGraphInstantiateWithFlags(GraphExec *exec, Graph graph,
                                               unsigned long long flags) {
  FAKE_ENTER("cuGraphInstantiateWithFlags");
  auto found = state().graphs.find(graph);
  if (found == state().graphs.end())
    return CUDA_ERROR_INVALID_HANDLE;
  if (!exec || flags != 0)
    return CUDA_ERROR_INVALID_VALUE;
  auto instance = std::make_unique<qtensor::cuda::fake::Graph>(*found->second);
  *exec = reinterpret_cast<GraphExec>(instance.get());
  state().graphExecs[instance.get()] = std::move(instance);
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuGraphLaunch(GraphExec exec, Stream stream) {
  FAKE_ENTER("cuGraphLaunch");
  if (Result result = needContext())
    return result;
  auto found = state().graphExecs.find(exec);
  if (found == state().graphExecs.end() ||
      (stream && !state().streams.count(stream)))
    return CUDA_ERROR_INVALID_HANDLE;
  if (Result result = notWhileStreamCaptures(stream))
    return result;
  for (qtensor::cuda::fake::Launch launch : found->second->launches) {
    launch.stream = stream;
    launch.replayed = true;
    state().launches.push_back(launch);
  }
  state().graphLaunches++;
  return CUDA_SUCCESS;
}

FAKE_EXPORT Result cuGraphExecDestroy(GraphExec exec) {
  FAKE_ENTER("cuGraphExecDestroy");
  return state().graphExecs.erase(exec) ? CUDA_SUCCESS
                                        : CUDA_ERROR_INVALID_HANDLE;
}

FAKE_EXPORT Result cuGraphDestroy(Graph graph) {
  FAKE_ENTER("cuGraphDestroy");
  return state().graphs.erase(graph) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

#endif // QTENSOR_FAKE_CUDA_NO_GRAPHS

// Every entry point has exactly the type the runtime casts its dlsym result
// to.
#define QTENSOR_CHECK_FAKE_SIGNATURE(symbol, parameters)                       \
  static_assert(                                                               \
      std::is_same_v<decltype(&::symbol),                                      \
                     decltype(qtensor::cuda::driver::DriverApi::symbol)>,      \
      "fake " #symbol " has the wrong signature");
QTENSOR_CUDA_DRIVER_ENTRY_POINTS(QTENSOR_CHECK_FAKE_SIGNATURE)
#ifndef QTENSOR_FAKE_CUDA_NO_GRAPHS
QTENSOR_CUDA_GRAPH_ENTRY_POINTS(QTENSOR_CHECK_FAKE_SIGNATURE)
#endif
#undef QTENSOR_CHECK_FAKE_SIGNATURE
