//===- Model.cpp - compile a model for the CPU or a GPU, JIT it, run it ---===//
//
// Compilation: import (.pt) or parse (.mlir), --qtensor-cpu-pipeline or
// --qtensor-gpu-pipeline with parameters extracted, parameter buffers copied
// out of the module into runtime-owned memory (and, for CUDA, to the device,
// once), LLVM JIT of the (host) code. The entry point is looked up at compile
// time, so a missing symbol is a compile error, never a first-call one; for
// CUDA the GPU module is loaded then too.
//
// Calls go through callEntry (qtensor/Runtime/EntryPoint.h).
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Runtime.h"

#include "Compiler.h"
#include "qtensor/Runtime/CudaRuntime.h"
#include "qtensor/Runtime/EntryPoint.h"

#include "qtensor/Passes/Registration.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

using namespace mlir;

namespace qtensor {

/// Bumped when generated code or its calling convention changes.
static constexpr const char *kRuntimeVersion = "qtensor-0.2";

namespace {

/// Aligned storage for one parameter.
struct AlignedBuffer {
  explicit AlignedBuffer(size_t size)
      : data(static_cast<char *>(std::aligned_alloc(
            64, std::max<size_t>(64, (size + 63) / 64 * 64)))),
        size(size) {}
  ~AlignedBuffer() { std::free(data); }
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  char *data;
  size_t size;
};

} // namespace

struct Model::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  PackedEntry entry = nullptr;
  EntrySignature signature;
  MemorySpace space = MemorySpace::Host;
  std::vector<Parameter> parameters;
  std::vector<std::unique_ptr<AlignedBuffer>> parameterStorage;
  /// The parameters as the code reads them: host buffers, or their device
  /// copies in `deviceParameters`.
  std::vector<ParameterBuffer> parameterBuffers;
  std::unique_ptr<cuda::DeviceParameters> deviceParameters;
  std::string target;
  std::string targetReason;
  detail::StageTimings timings;
  /// The op profile (CompileOptions::profile): the code's counters, two per
  /// entry (nanoseconds, calls), and what each entry is.
  int64_t *profileCounters = nullptr;
  std::vector<ProfileEntry> profilePoints;
};

namespace {

std::mutex cacheMutex;
std::map<std::string, std::weak_ptr<Model::Impl>> cache;
CacheStats cacheStats;

/// The host CPU as the JIT sees it: name and enabled features.
std::string describeHost() {
  std::string text = llvm::sys::getHostCPUName().str();
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> enabled;
  for (const auto &feature : features)
    if (feature.getValue())
      enabled.push_back(feature.getKey().str());
  std::sort(enabled.begin(), enabled.end());
  for (const std::string &feature : enabled)
    text += "+" + feature;
  return text;
}

/// GPU kernel options as a cache-key part: "" for the defaults, else each
/// key=value after a "-", so that spacing does not make another key.
std::string describeKernelOptions(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef> words;
  llvm::SplitString(text, words);
  std::string key;
  for (llvm::StringRef word : words)
    key += "-" + word.str();
  return key;
}

/// The chip the GPU pipeline compiles for on a GPU of compute capability
/// `capability` (major * 10 + minor): the newest supported chip it runs,
/// since the driver compiles PTX for newer GPUs. None below sm_80.
std::optional<std::string> chipForCapability(int capability) {
  std::optional<std::string> chip;
  for (int supported : {80, 86, 89, 90})
    if (capability >= supported)
      chip = "sm_" + std::to_string(supported);
  return chip;
}

/// Where the code of a Model runs, and why.
struct TargetChoice {
  detail::CodeTarget code;
  std::string description;
  std::string reason;
};

/// Resolves `requested`: Cuda and Auto ask the CUDA runtime for a GPU; Auto
/// falls back to the CPU, Cuda fails, when none answers.
Status chooseTarget(Target requested, TargetChoice &choice) {
  std::string host = "cpu (" + llvm::sys::getHostCPUName().str() + ")";
  if (requested == Target::Cpu) {
    choice.description = host;
    choice.reason = "target cpu";
    return Status::success();
  }
  cuda::DeviceProbe probe = cuda::probeDevice();
  std::optional<std::string> chip;
  std::string why = probe.message;
  if (probe.available) {
    chip = chipForCapability(probe.computeCapability);
    if (!chip)
      why += "; qtensor's GPU code needs sm_80 or newer";
  }
  if (!chip) {
    if (requested == Target::Cuda)
      return Status::error("target cuda: " + why);
    choice.description = host;
    choice.reason = "target auto chose cpu: " + why;
    return Status::success();
  }
  choice.code.cuda = true;
  choice.code.chip = *chip;
  // PTX: the driver compiles it for the GPU at load time, and no toolkit is
  // needed on the machine that runs the JIT.
  choice.code.gpuFormat = "isa";
  choice.description = "cuda " + *chip + " (" + probe.deviceName + ")";
  choice.reason =
      std::string(requested == Target::Auto ? "target auto chose" : "target") +
      " cuda: " + probe.message;
  return Status::success();
}

/// Symbols the generated code calls that the JIT must resolve to this
/// process's definitions: the light runtime's memrefCopy, bf16 rounding
/// (compiler-rt's __truncsfbf2), profile points and buffer allocator and,
/// for GPU host code, the CUDA runtime's mgpu* functions.
llvm::orc::SymbolMap runtimeSymbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap symbols;
  auto add = [&](const char *name, auto *function) {
    symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(function),
                               llvm::JITSymbolFlags::Exported};
  };
  add("memrefCopy", &qtensorMemrefCopy);
  add("__truncsfbf2", &qtensorTruncSfBf2);
  add("qtensorProfilePoint", &qtensorProfilePoint);
  add("_mlir_memref_to_llvm_alloc", &_mlir_memref_to_llvm_alloc);
  add("_mlir_memref_to_llvm_aligned_alloc",
      &_mlir_memref_to_llvm_aligned_alloc);
  add("_mlir_memref_to_llvm_free", &_mlir_memref_to_llvm_free);
  add("mgpuModuleLoad", &mgpuModuleLoad);
  add("mgpuModuleLoadJIT", &mgpuModuleLoadJIT);
  add("mgpuModuleUnload", &mgpuModuleUnload);
  add("mgpuModuleGetFunction", &mgpuModuleGetFunction);
  add("mgpuLaunchKernel", &mgpuLaunchKernel);
  add("mgpuLaunchClusterKernel", &mgpuLaunchClusterKernel);
  add("mgpuStreamCreate", &mgpuStreamCreate);
  add("mgpuStreamDestroy", &mgpuStreamDestroy);
  add("mgpuStreamSynchronize", &mgpuStreamSynchronize);
  add("mgpuStreamWaitEvent", &mgpuStreamWaitEvent);
  add("mgpuEventCreate", &mgpuEventCreate);
  add("mgpuEventDestroy", &mgpuEventDestroy);
  add("mgpuEventSynchronize", &mgpuEventSynchronize);
  add("mgpuEventRecord", &mgpuEventRecord);
  add("mgpuMemAlloc", &mgpuMemAlloc);
  add("mgpuMemFree", &mgpuMemFree);
  add("mgpuMemcpy", &mgpuMemcpy);
  add("mgpuMemset32", &mgpuMemset32);
  add("mgpuMemset16", &mgpuMemset16);
  add("mgpuSetDefaultDevice", &mgpuSetDefaultDevice);
  return symbols;
}

/// Moves the parameters of a lowered module into runtime-owned buffers (and
/// to the device, for CUDA code) and JIT-compiles it.
Status finishModule(ModuleOp module, Model::Impl &impl) {
  MLIRContext *context = module.getContext();
  detail::FirstError diagnostic(context);
  std::vector<detail::ModuleParameter> taken;
  QTENSOR_RETURN_IF_ERROR(detail::takeParameters(
      module, impl.signature.inputs.size() + impl.signature.states.size(),
      taken));
  bool onDevice = impl.space == MemorySpace::Cuda;
  if (onDevice)
    impl.deviceParameters = std::make_unique<cuda::DeviceParameters>();
  for (detail::ModuleParameter &entry : taken) {
    Parameter parameter = entry.parameter;
    auto buffer = std::make_unique<AlignedBuffer>(parameter.bytes);
    std::memcpy(buffer->data, entry.bytes.data(), parameter.bytes);
    parameter.data = buffer->data;
    const void *data = buffer->data;
    if (onDevice) {
      data = impl.deviceParameters->upload(buffer->data, parameter.bytes);
      if (!data && parameter.bytes != 0)
        return Status::error(
            "copying parameter '" + parameter.name +
            "' to the GPU: " + cuda::takeError().value_or("failed"));
    }
    impl.parameterBuffers.push_back({data, parameter.shape});
    impl.parameterStorage.push_back(std::move(buffer));
    impl.parameters.push_back(std::move(parameter));
  }

  // The op profile's entries; the counters are found once the code is.
  if (auto points =
          module->getAttrOfType<ArrayAttr>("qtensor.profile_points")) {
    for (auto point : points.getAsRange<DictionaryAttr>()) {
      ProfileEntry entry;
      if (auto category = point.getAs<StringAttr>("category"))
        entry.category = category.str();
      if (auto name = point.getAs<StringAttr>("name"))
        entry.name = name.str();
      impl.profilePoints.push_back(std::move(entry));
    }
    module->removeAttr("qtensor.profile_points");
  }

  // LLVM JIT for the host CPU, at -O3.
  auto start = std::chrono::steady_clock::now();
  detail::registerTranslations(*context);
  ExecutionEngineOptions engineOptions;
  // The OpenMP runtime the parallel kernels call (__kmpc_*).
  SmallVector<StringRef, 1> sharedLibraries;
  if (detail::usesOpenMP(module))
    sharedLibraries.push_back(QTENSOR_OPENMP_RUNTIME);
  engineOptions.sharedLibPaths = sharedLibraries;
  // The optimizer sees this CPU, as the JIT's code generator does.
  std::unique_ptr<llvm::TargetMachine> host;
  QTENSOR_RETURN_IF_ERROR(detail::createTargetMachine("native", host));
  auto transformer = [&](llvm::Module *llvmModule) {
    return detail::optimizeForTarget(*llvmModule, *host);
  };
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, engineOptions);
  if (!engine)
    return Status::error(
        "JIT compilation failed: " + llvm::toString(engine.takeError()) +
        (diagnostic.str().empty() ? "" : ": " + diagnostic.str()));
  impl.engine = std::move(*engine);
  impl.engine->registerSymbols(runtimeSymbols);
  // The module's constructors: for CUDA code, the one that loads the GPU
  // module (its errors are latched, read below).
  impl.engine->initialize();
  auto entry = impl.engine->lookupPacked("_mlir_ciface_forward");
  if (!entry)
    return Status::error("the compiled code has no entry point: " +
                         llvm::toString(entry.takeError()));
  impl.entry = *entry;
  if (!impl.profilePoints.empty()) {
    auto counters = impl.engine->lookup("qtensor_profile_counters");
    if (!counters)
      return Status::error("the compiled code has no profile counters: " +
                           llvm::toString(counters.takeError()));
    impl.profileCounters = static_cast<int64_t *>(*counters);
  }
  if (onDevice)
    if (std::optional<std::string> error = cuda::takeError())
      return Status::error("loading the GPU code: " + *error);
  impl.timings.emplace_back("llvm-jit", detail::millisecondsSince(start));
  return Status::success();
}

/// Compiles `module` (stage 0) to a JIT-ed model; with a cache directory,
/// also writes the lowered module there.
Status compileModule(ModuleOp module, const CompileOptions &options,
                     const detail::CodeTarget &target,
                     const std::string &cacheFile, Model::Impl &impl) {
  QTENSOR_RETURN_IF_ERROR(detail::lowerModel(module, options, target,
                                             options.dumpStagesDirectory,
                                             impl.timings, impl.signature));
  if (!cacheFile.empty()) {
    // Best effort: a cache that cannot be written costs time, not results.
    auto temp = llvm::sys::fs::TempFile::create(cacheFile + ".tmp-%%%%%%");
    if (temp) {
      llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
      bool written = succeeded(writeBytecodeToFile(module, os));
      os.flush();
      if (written && !os.has_error())
        llvm::consumeError(temp->keep(cacheFile));
      else
        llvm::consumeError(temp->discard());
      os.clear_error();
    } else {
      llvm::consumeError(temp.takeError());
    }
  }
  return finishModule(module, impl);
}

} // namespace

Model::Model(std::shared_ptr<Impl> impl) : impl(std::move(impl)) {}
Model::~Model() = default;

Status Model::compile(const std::string &path, const CompileOptions &options,
                      std::shared_ptr<Model> &model) {
  QTENSOR_RETURN_IF_ERROR(detail::validateOptions(options));
  llvm::StringRef extension = llvm::sys::path::extension(path);
  if (extension != ".pt" && extension != ".mlir")
    return Status::error("'" + path +
                         "' is neither a TorchScript model (.pt) nor MLIR "
                         "(.mlir)");
  auto contents = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
  if (!contents)
    return Status::error("cannot open '" + path +
                         "': " + contents.getError().message());

  TargetChoice target;
  QTENSOR_RETURN_IF_ERROR(chooseTarget(options.target, target));
  if (options.profile && target.code.cuda)
    return Status::error("the op profile is for the CPU: " + target.reason +
                         "; compile with target cpu");

  // The cache key: content, shapes, options, target, host CPU, versions.
  std::string key = llvm::utohexstr(
      llvm::xxh3_64bits(llvm::arrayRefFromStringRef((*contents)->getBuffer())));
  for (const InputSpec &input : options.inputs)
    key += "|" + input.str();
  key += std::string("|") + options.quantization.str() +
         (options.fuse ? "|fused" : "|unfused") +
         (options.parallel ? "|parallel" : "|serial") +
         (options.profile ? "|profile" : "") + "|" +
         (target.code.cuda ? "cuda-" + target.code.chip +
                                 describeKernelOptions(options.gpuKernelOptions)
                           : "cpu") +
         "|" + describeHost() + "|" + kRuntimeVersion +
         "|llvm-" LLVM_VERSION_STRING;
  if (options.dumpStagesDirectory.empty()) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (std::shared_ptr<Impl> cached = cache[key].lock()) {
      ++cacheStats.hits;
      model.reset(new Model(cached));
      return Status::success();
    }
    ++cacheStats.misses;
  }

  detail::initializeNativeTarget();

  auto impl = std::make_shared<Impl>();
  impl->target = target.description;
  impl->targetReason = target.reason;
  impl->space = target.code.cuda ? MemorySpace::Cuda : MemorySpace::Host;
  if (!options.dumpStagesDirectory.empty())
    if (std::error_code ec =
            llvm::sys::fs::create_directories(options.dumpStagesDirectory))
      return Status::error("cannot create '" + options.dumpStagesDirectory +
                           "': " + ec.message());

  DialectRegistry registry;
  mlir::qtensor::registerAllDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();

  std::string cacheFile;
  if (!options.cacheDirectory.empty()) {
    if (std::error_code ec =
            llvm::sys::fs::create_directories(options.cacheDirectory))
      return Status::error("cannot create cache directory '" +
                           options.cacheDirectory + "': " + ec.message());
    llvm::SmallString<128> cachePath(options.cacheDirectory);
    llvm::sys::path::append(cachePath, llvm::utohexstr(llvm::xxh3_64bits(key)) +
                                           ".mlirbc");
    cacheFile = cachePath.str().str();
    if (llvm::sys::fs::exists(cacheFile)) {
      auto start = std::chrono::steady_clock::now();
      // A cache file that does not parse is ignored and rewritten.
      ScopedDiagnosticHandler quiet(&context,
                                    [](Diagnostic &) { return success(); });
      OwningOpRef<ModuleOp> cached =
          parseSourceFile<ModuleOp>(cacheFile, &context);
      auto signature =
          cached ? (*cached)->getAttrOfType<TypeAttr>("qtensor.signature")
                 : TypeAttr();
      if (signature && isa<FunctionType>(signature.getValue())) {
        impl->timings.emplace_back("cache-load",
                                   detail::millisecondsSince(start));
        QTENSOR_RETURN_IF_ERROR(
            detail::readSignature(*cached, options, impl->signature));
        QTENSOR_RETURN_IF_ERROR(finishModule(*cached, *impl));
        std::lock_guard<std::mutex> lock(cacheMutex);
        ++cacheStats.diskHits;
        if (options.dumpStagesDirectory.empty())
          cache[key] = impl;
        model.reset(new Model(impl));
        return Status::success();
      }
    }
  }

  OwningOpRef<ModuleOp> module;
  QTENSOR_RETURN_IF_ERROR(
      detail::loadModel(path, options, context, module, impl->timings));
  QTENSOR_RETURN_IF_ERROR(
      compileModule(*module, options, target.code, cacheFile, *impl));

  if (options.dumpStagesDirectory.empty()) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    cache[key] = impl;
  }
  model.reset(new Model(impl));
  return Status::success();
}

Status Model::run(const std::vector<TensorView> &inputs,
                  std::vector<Tensor> &outputs) const {
  return callEntry(impl->entry, impl->signature, inputs, impl->parameterBuffers,
                   impl->space, outputs);
}

Status Model::run(const std::vector<TensorView> &inputs,
                  std::vector<Tensor> &outputs, State &state) const {
  std::vector<void *> buffers;
  QTENSOR_RETURN_IF_ERROR(state.buffersFor(impl.get(), buffers));
  return callEntry(impl->entry, impl->signature, inputs, impl->parameterBuffers,
                   impl->space, outputs, buffers);
}

std::unique_ptr<State> Model::createState() const {
  return State::create(impl.get(), impl->signature.states);
}

const std::vector<int64_t> &Model::inputBounds() const {
  return impl->signature.inputBounds;
}

const std::vector<StateSpec> &Model::states() const {
  return impl->signature.states;
}

const std::vector<Parameter> &Model::parameters() const {
  return impl->parameters;
}
size_t Model::numInputs() const { return impl->signature.inputs.size(); }
const std::vector<InputSpec> &Model::inputs() const {
  return impl->signature.inputs;
}
const std::string &Model::targetDescription() const { return impl->target; }
const std::string &Model::targetReason() const { return impl->targetReason; }
const std::vector<std::pair<std::string, double>> &Model::stageTimings() const {
  return impl->timings;
}

std::vector<ProfileEntry> Model::profile() const {
  std::vector<ProfileEntry> entries = impl->profilePoints;
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].seconds =
        1e-9 * static_cast<double>(__atomic_load_n(
                   &impl->profileCounters[2 * i], __ATOMIC_RELAXED));
    entries[i].calls =
        __atomic_load_n(&impl->profileCounters[2 * i + 1], __ATOMIC_RELAXED);
  }
  return entries;
}

void Model::resetProfile() const {
  for (size_t i = 0; i < 2 * impl->profilePoints.size(); ++i)
    __atomic_store_n(&impl->profileCounters[i], 0, __ATOMIC_RELAXED);
}

CacheStats getCacheStats() {
  std::lock_guard<std::mutex> lock(cacheMutex);
  return cacheStats;
}

void clearCompileCache() {
  std::lock_guard<std::mutex> lock(cacheMutex);
  cache.clear();
}

} // namespace qtensor
