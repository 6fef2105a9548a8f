//===- Model.cpp - compile a model with the CPU pipeline, JIT it, run it --===//
//
// Compilation: import (.pt) or parse (.mlir), --qtensor-cpu-pipeline with
// parameters extracted, parameter buffers copied out of the module into
// runtime-owned memory, LLVM JIT. The entry point is looked up at compile
// time, so a missing symbol is a compile error, never a first-call one.
//
// Calls: the generated `_mlir_ciface_forward` takes a pointer to the result
// descriptors, then one memref descriptor per input and per parameter. The
// results are fresh allocations owned by the caller (ownership-based buffer
// deallocation guarantees it); they are copied out and freed.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Runtime.h"

#include "qtensor/Importer/TorchScriptImporter.h"
#include "qtensor/Passes/PassUtils.h"
#include "qtensor/Passes/Pipelines.h"
#include "qtensor/Tools/Registration.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

using namespace mlir;

namespace qtensor {

/// Bumped when generated code or its calling convention changes.
static constexpr const char *kRuntimeVersion = "qtensor-0.1";

const char *toString(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I8:
    return "i8";
  }
  return "?";
}

size_t byteWidth(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I8:
    return 1;
  }
  return 0;
}

size_t Tensor::numElements() const {
  size_t count = 1;
  for (int64_t size : shape)
    count *= static_cast<size_t>(size);
  return count;
}

#if defined(__SANITIZE_ADDRESS__)
/// Sanitized builds only. The JIT dlopen()s libomp, whose worker threads then
/// hold dynamic TLS; GCC 12's LeakSanitizer crashes reading those DTLS
/// ranges at exit ("Tracer caught signal 11"). Not intercepting
/// __tls_get_addr stops that tracking; every other check stays on. Defined
/// here, in the object every runtime user links, so that qtensor's tools,
/// tests and programs built against a sanitized qtensor all get it.
extern "C" const char *__asan_default_options() {
  return "intercept_tls_get_addr=0";
}
#endif

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

/// A memref descriptor as the LLVM lowering lays it out: allocated pointer,
/// aligned pointer, offset, sizes, strides, all 64-bit.
std::vector<int64_t> makeDescriptor(const void *data,
                                    const std::vector<int64_t> &shape) {
  std::vector<int64_t> fields;
  auto pointer = reinterpret_cast<int64_t>(data);
  fields.push_back(pointer);
  fields.push_back(pointer);
  fields.push_back(0);
  fields.insert(fields.end(), shape.begin(), shape.end());
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  fields.insert(fields.end(), strides.begin(), strides.end());
  return fields;
}

std::optional<DType> toDType(Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isF16())
    return DType::F16;
  if (type.isBF16())
    return DType::BF16;
  if (type.isSignlessInteger(8))
    return DType::I8;
  return std::nullopt;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") +
            (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return text + "]";
}

/// `memrefCopy`, which the memref-to-LLVM lowering calls for copies between
/// strided buffers (a partial tile, say). The upstream definition lives in a
/// runner library; this one keeps the runtime free of it.
struct UnrankedMemRef {
  int64_t rank;
  int64_t *descriptor; // allocated, aligned, offset, sizes[rank], strides[rank]
};

extern "C" void qtensorMemrefCopy(int64_t elementSize, UnrankedMemRef *source,
                                  UnrankedMemRef *target) {
  int64_t rank = source->rank;
  const int64_t *from = source->descriptor, *to = target->descriptor;
  auto *sourceData =
      reinterpret_cast<const char *>(from[1]) + from[2] * elementSize;
  auto *targetData = reinterpret_cast<char *>(to[1]) + to[2] * elementSize;
  const int64_t *sizes = from + 3;
  const int64_t *sourceStrides = from + 3 + rank,
                *targetStrides = to + 3 + rank;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d)
    count *= sizes[d];
  std::vector<int64_t> index(rank, 0);
  for (int64_t element = 0; element < count; ++element) {
    int64_t sourceOffset = 0, targetOffset = 0;
    for (int64_t d = 0; d < rank; ++d) {
      sourceOffset += index[d] * sourceStrides[d];
      targetOffset += index[d] * targetStrides[d];
    }
    std::memcpy(targetData + targetOffset * elementSize,
                sourceData + sourceOffset * elementSize, elementSize);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
}

/// Times each pass and, when asked, writes the IR after it to a file.
class StageInstrumentation : public PassInstrumentation {
public:
  StageInstrumentation(std::vector<std::pair<std::string, double>> &timings,
                       std::string dumpDirectory)
      : timings(timings), dumpDirectory(std::move(dumpDirectory)) {}

  void runBeforePass(Pass *pass, Operation *) override {
    if (depth++ == 0)
      start = std::chrono::steady_clock::now();
  }
  void runAfterPass(Pass *pass, Operation *op) override { finish(pass, op); }
  void runAfterPassFailed(Pass *pass, Operation *op) override {
    finish(pass, op);
  }

private:
  void finish(Pass *pass, Operation *op) {
    if (--depth != 0)
      return;
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    std::string name = pass->getArgument().str();
    if (name.empty()) // A nested pipeline, e.g. func.func(...).
      name = "nested";
    timings.emplace_back(name, ms);
    if (dumpDirectory.empty())
      return;
    char prefix[8];
    std::snprintf(prefix, sizeof(prefix), "%02zu-", ++dumped);
    llvm::SmallString<128> path(dumpDirectory);
    llvm::sys::path::append(path, prefix + name + ".mlir");
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (!ec)
      op->print(os, OpPrintingFlags().elideLargeResourceString(64));
  }

  std::vector<std::pair<std::string, double>> &timings;
  std::string dumpDirectory;
  std::chrono::steady_clock::time_point start;
  int depth = 0;
  size_t dumped = 0;
};

} // namespace

struct Model::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  void (*entry)(void **) = nullptr;
  std::vector<std::vector<int64_t>> inputShapes;
  std::vector<DType> inputTypes;
  std::vector<DType> resultTypes;
  std::vector<size_t> resultRanks;
  std::vector<Parameter> parameters;
  std::vector<std::unique_ptr<AlignedBuffer>> parameterStorage;
  std::vector<std::vector<int64_t>> parameterDescriptors;
  std::string target;
  std::string targetReason;
  std::vector<std::pair<std::string, double>> timings;
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

Status validateShapes(const CompileOptions &options) {
  for (const std::vector<int64_t> &shape : options.inputShapes)
    for (size_t i = 0; i < shape.size(); ++i)
      if (shape[i] < -1 || (shape[i] == -1 && i != 0))
        return Status::error("invalid input shape " + formatShape(shape) +
                             ": sizes must be >= 0, and only the leading one "
                             "may be -1 (dynamic)");
  return Status::success();
}

/// Records the inputs and results of @forward, checked against `options`.
Status readSignature(FunctionType type, const CompileOptions &options,
                     Model::Impl &impl) {
  if (!options.inputShapes.empty() &&
      options.inputShapes.size() != type.getNumInputs())
    return Status::error("@forward takes " +
                         std::to_string(type.getNumInputs()) + " inputs, but " +
                         std::to_string(options.inputShapes.size()) +
                         " input shapes were given");
  for (auto [index, input] : llvm::enumerate(type.getInputs())) {
    auto tensor = dyn_cast<RankedTensorType>(input);
    std::optional<DType> dtype =
        tensor ? toDType(tensor.getElementType()) : std::nullopt;
    if (!dtype || *dtype == DType::I8)
      return Status::error("input " + std::to_string(index) +
                           " of @forward is not a f32, f16 or bf16 tensor");
    std::vector<int64_t> shape;
    for (int64_t size : tensor.getShape())
      shape.push_back(ShapedType::isDynamic(size) ? -1 : size);
    if (!options.inputShapes.empty() && options.inputShapes[index] != shape)
      return Status::error("input " + std::to_string(index) + " of @forward " +
                           "has shape " + formatShape(shape) + ", not " +
                           formatShape(options.inputShapes[index]));
    impl.inputShapes.push_back(shape);
    impl.inputTypes.push_back(*dtype);
  }
  for (Type result : type.getResults()) {
    auto tensor = dyn_cast<RankedTensorType>(result);
    std::optional<DType> dtype =
        tensor ? toDType(tensor.getElementType()) : std::nullopt;
    if (!dtype)
      return Status::error("a result of @forward is not a tensor of a "
                           "supported element type");
    impl.resultTypes.push_back(*dtype);
    impl.resultRanks.push_back(tensor.getRank());
  }
  return Status::success();
}

/// The error diagnostics of `context`, collected as one line.
class FirstError {
public:
  explicit FirstError(MLIRContext *context)
      : handler(context, [this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error && text.empty()) {
            llvm::raw_string_ostream os(text);
            if (auto file =
                    diag.getLocation()->findInstanceOf<FileLineColLoc>())
              os << file.getFilename() << ":" << file.getLine() << ":"
                 << file.getColumn() << ": ";
            os << diag.str();
          }
          return success();
        }) {}
  const std::string &str() const { return text; }

private:
  std::string text;
  ScopedDiagnosticHandler handler;
};

Status finishModule(ModuleOp module, Model::Impl &impl);

/// Compiles `module` (stage 0) to a JIT-ed model; with a cache directory,
/// also writes the lowered module there.
Status compileModule(ModuleOp module, const CompileOptions &options,
                     const std::string &cacheFile, Model::Impl &impl) {
  MLIRContext *context = module.getContext();
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.isExternal())
    return Status::error("the model has no function @forward with a body");
  if (Status status = readSignature(forward.getFunctionType(), options, impl);
      !status)
    return status;
  // The tensor signature is gone once lowered; a cached module needs it.
  module->setAttr("qtensor.signature",
                  TypeAttr::get(forward.getFunctionType()));
  forward->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                   UnitAttr::get(context));
  // The caller's input buffers are read-only.
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    forward.setArgAttr(i, "bufferization.writable",
                       BoolAttr::get(context, false));

  FirstError diagnostic(context);
  PassManager pm(context);
  pm.addInstrumentation(std::make_unique<StageInstrumentation>(
      impl.timings, options.dumpStagesDirectory));
  mlir::qtensor::CpuPipelineOptions pipeline;
  pipeline.quantize = options.quantization == Quantization::Int8;
  pipeline.fuse = options.fuse;
  pipeline.parameters = true;
  // Chunks of 128 columns: 8 register tiles per task, and enough tasks to
  // balance two to a few dozen threads on 4096-wide layers.
  pipeline.parallelChunk = options.parallel ? 128 : 0;
  mlir::qtensor::buildCpuPipeline(pm, pipeline);
  if (failed(pm.run(module)))
    return Status::error(diagnostic.str().empty() ? "compilation failed"
                                                  : diagnostic.str());
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

/// Moves the parameters of a lowered module into runtime-owned buffers and
/// JIT-compiles it.
Status finishModule(ModuleOp module, Model::Impl &impl) {
  MLIRContext *context = module.getContext();
  FirstError diagnostic(context);
  // Parameters move out of the module into runtime-owned buffers: the
  // entries of @forward, in argument order.
  if (Attribute attr = module->getAttr("qtensor.parameters")) {
    auto manifest = dyn_cast<ArrayAttr>(attr);
    if (!manifest)
      return Status::error("malformed qtensor.parameters: not an array");
    std::vector<std::pair<int64_t, DictionaryAttr>> entries;
    for (Attribute entry : manifest) {
      auto dict = dyn_cast<DictionaryAttr>(entry);
      auto function = dict ? dict.getAs<StringAttr>("function") : nullptr;
      auto argument = dict ? dict.getAs<IntegerAttr>("argument") : nullptr;
      if (!dict || !function || !argument || !dict.getAs<StringAttr>("name") ||
          !dict.getAs<StringAttr>("layout") ||
          !dict.getAs<ElementsAttr>("value"))
        return Status::error("malformed qtensor.parameters entry");
      if (function.getValue() == "forward")
        entries.emplace_back(argument.getInt(), dict);
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    for (auto [position, entry] : llvm::enumerate(entries)) {
      if (entry.first !=
          static_cast<int64_t>(impl.inputShapes.size() + position))
        return Status::error("malformed qtensor.parameters: the parameters "
                             "of @forward do not follow its inputs");
      DictionaryAttr dict = entry.second;
      auto value = dict.getAs<ElementsAttr>("value");
      auto valueType = cast<ShapedType>(value.getType());
      Parameter parameter;
      parameter.name = dict.getAs<StringAttr>("name").str();
      parameter.layout = dict.getAs<StringAttr>("layout").str();
      std::optional<DType> dtype = toDType(valueType.getElementType());
      if (!dtype || !valueType.hasStaticShape())
        return Status::error("parameter " + parameter.name +
                             " has an unsupported type");
      parameter.dtype = *dtype;
      parameter.shape.assign(valueType.getShape().begin(),
                             valueType.getShape().end());
      parameter.bytes = valueType.getNumElements() * byteWidth(*dtype);
      auto buffer = std::make_unique<AlignedBuffer>(parameter.bytes);
      SmallVector<char> splat;
      FailureOr<ArrayRef<char>> bytes =
          mlir::qtensor::getRawElementBytes(value, splat);
      if (failed(bytes) || bytes->size() != parameter.bytes)
        return Status::error("parameter " + parameter.name +
                             " has no data, or data of the wrong size");
      std::memcpy(buffer->data, bytes->data(), parameter.bytes);
      parameter.data = buffer->data;
      impl.parameterDescriptors.push_back(
          makeDescriptor(buffer->data, parameter.shape));
      impl.parameterStorage.push_back(std::move(buffer));
      impl.parameters.push_back(std::move(parameter));
    }
    module->removeAttr("qtensor.parameters");
  }
  module->removeAttr("qtensor.signature");
  // Argument attributes that name parameters mean nothing to LLVM.
  module.walk([](LLVM::LLVMFuncOp func) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      func.removeArgAttr(
          i, StringAttr::get(func.getContext(), "qtensor.parameter"));
  });

  // LLVM JIT for the host CPU, at -O3.
  auto start = std::chrono::steady_clock::now();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  context->appendDialectRegistry(registry);
  ExecutionEngineOptions engineOptions;
  // The OpenMP runtime the parallel kernels call (__kmpc_*).
  bool usesOpenMP =
      module
          ->walk([](Operation *op) {
            return op->getDialect() && op->getDialect()->getNamespace() == "omp"
                       ? WalkResult::interrupt()
                       : WalkResult::advance();
          })
          .wasInterrupted();
  SmallVector<StringRef, 1> sharedLibraries;
  if (usesOpenMP)
    sharedLibraries.push_back(QTENSOR_OPENMP_RUNTIME);
  engineOptions.sharedLibPaths = sharedLibraries;
  auto transformer = makeOptimizingTransformer(3, 0, nullptr);
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, engineOptions);
  if (!engine)
    return Status::error(
        "JIT compilation failed: " + llvm::toString(engine.takeError()) +
        (diagnostic.str().empty() ? "" : ": " + diagnostic.str()));
  impl.engine = std::move(*engine);
  impl.engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("memrefCopy")] = {
        llvm::orc::ExecutorAddr::fromPtr(&qtensorMemrefCopy),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  auto entry = impl.engine->lookupPacked("_mlir_ciface_forward");
  if (!entry)
    return Status::error("the compiled code has no entry point: " +
                         llvm::toString(entry.takeError()));
  impl.entry = *entry;
  impl.timings.emplace_back("llvm-jit",
                            std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - start)
                                .count());
  return Status::success();
}

} // namespace

Model::Model(std::shared_ptr<Impl> impl) : impl(std::move(impl)) {}
Model::~Model() = default;

Status Model::compile(const std::string &path, const CompileOptions &options,
                      std::shared_ptr<Model> &model) {
  if (Status status = validateShapes(options); !status)
    return status;
  if (options.target == Target::Cuda)
    return Status::error("target cuda is not available: this qtensor build "
                         "has no CUDA runtime yet; use --target cpu");
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

  // The cache key: content, shapes, options, host CPU, versions.
  std::string key = llvm::utohexstr(
      llvm::xxh3_64bits(llvm::arrayRefFromStringRef((*contents)->getBuffer())));
  for (const std::vector<int64_t> &shape : options.inputShapes)
    key += "|" + formatShape(shape);
  key += std::string("|") + toString(options.inputType) + "|" +
         (options.quantization == Quantization::Int8 ? "int8" : "none") +
         (options.fuse ? "|fused" : "|unfused") +
         (options.parallel ? "|parallel" : "|serial") + "|" + describeHost() +
         "|" + kRuntimeVersion + "|llvm-" LLVM_VERSION_STRING;
  if (options.dumpStagesDirectory.empty()) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (std::shared_ptr<Impl> cached = cache[key].lock()) {
      ++cacheStats.hits;
      model.reset(new Model(cached));
      return Status::success();
    }
    ++cacheStats.misses;
  }

  static std::once_flag initializeTargets;
  std::call_once(initializeTargets, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });

  auto impl = std::make_shared<Impl>();
  impl->target = "cpu (" + llvm::sys::getHostCPUName().str() + ")";
  impl->targetReason = options.target == Target::Auto
                           ? "target auto chose cpu: this build has no CUDA "
                             "runtime"
                           : "target cpu";
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
    llvm::SmallString<128> path(options.cacheDirectory);
    llvm::sys::path::append(path, llvm::utohexstr(llvm::xxh3_64bits(key)) +
                                      ".mlirbc");
    cacheFile = path.str().str();
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
                                   std::chrono::duration<double, std::milli>(
                                       std::chrono::steady_clock::now() - start)
                                       .count());
        if (Status status = readSignature(
                cast<FunctionType>(signature.getValue()), options, *impl);
            !status)
          return status;
        if (Status status = finishModule(*cached, *impl); !status)
          return status;
        std::lock_guard<std::mutex> lock(cacheMutex);
        ++cacheStats.diskHits;
        if (options.dumpStagesDirectory.empty())
          cache[key] = impl;
        model.reset(new Model(impl));
        return Status::success();
      }
    }
  }

  auto start = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module;
  if (extension == ".pt") {
    mlir::qtensor::ImportOptions importOptions;
    for (const std::vector<int64_t> &shape : options.inputShapes) {
      SmallVector<int64_t> dims;
      for (int64_t size : shape)
        dims.push_back(size < 0 ? ShapedType::kDynamic : size);
      importOptions.inputShapes.push_back(dims);
    }
    importOptions.inputType = options.inputType == DType::F16
                                  ? mlir::qtensor::ImportFloatType::F16
                              : options.inputType == DType::BF16
                                  ? mlir::qtensor::ImportFloatType::BF16
                                  : mlir::qtensor::ImportFloatType::F32;
    auto imported =
        mlir::qtensor::importTorchScript(context, path, importOptions);
    if (!imported)
      return Status::error(llvm::toString(imported.takeError()));
    module = std::move(*imported);
  } else {
    std::string diagnostic;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (diagnostic.empty())
        diagnostic = diag.str();
      return success();
    });
    llvm::SourceMgr sources;
    sources.AddNewSourceBuffer(std::move(*contents), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sources, &context);
    if (!module)
      return Status::error("cannot parse '" + path + "': " + diagnostic);
  }
  impl->timings.emplace_back(extension == ".pt" ? "import" : "parse",
                             std::chrono::duration<double, std::milli>(
                                 std::chrono::steady_clock::now() - start)
                                 .count());
  if (Status status = compileModule(*module, options, cacheFile, *impl);
      !status)
    return status;

  if (options.dumpStagesDirectory.empty()) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    cache[key] = impl;
  }
  model.reset(new Model(impl));
  return Status::success();
}

Status Model::run(const std::vector<TensorView> &inputs,
                  std::vector<Tensor> &outputs) const {
  if (inputs.size() != impl->inputShapes.size())
    return Status::error("the model takes " +
                         std::to_string(impl->inputShapes.size()) +
                         " inputs, got " + std::to_string(inputs.size()));
  std::vector<std::vector<int64_t>> descriptors;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorView &input = inputs[i];
    const std::vector<int64_t> &expected = impl->inputShapes[i];
    if (input.dtype != impl->inputTypes[i])
      return Status::error("input " + std::to_string(i) + " has dtype " +
                           toString(input.dtype) + ", the model expects " +
                           toString(impl->inputTypes[i]));
    bool fits = input.shape.size() == expected.size();
    for (size_t d = 0; fits && d < expected.size(); ++d)
      fits = input.shape[d] >= 0 &&
             (expected[d] < 0 || expected[d] == input.shape[d]);
    if (!fits)
      return Status::error("input " + std::to_string(i) + " has shape " +
                           formatShape(input.shape) +
                           ", the model was compiled for " +
                           formatShape(expected));
    size_t count = 1;
    for (int64_t size : input.shape)
      count *= static_cast<size_t>(size);
    if (!input.data && count != 0)
      return Status::error("input " + std::to_string(i) + " has no data");
    descriptors.push_back(makeDescriptor(input.data, input.shape));
  }
  // The compiled code assumes one batch size: every dynamic leading
  // dimension takes the same value.
  std::optional<int64_t> batch;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (impl->inputShapes[i].empty() || impl->inputShapes[i][0] >= 0)
      continue;
    if (batch && *batch != inputs[i].shape[0])
      return Status::error("input " + std::to_string(i) + " has batch size " +
                           std::to_string(inputs[i].shape[0]) +
                           ", an earlier input " + std::to_string(*batch) +
                           "; the dynamic dimensions must agree");
    batch = inputs[i].shape[0];
  }

  // Result descriptors, laid out one after another as the C interface
  // returns them.
  size_t resultWords = 0;
  for (size_t rank : impl->resultRanks)
    resultWords += 3 + 2 * rank;
  std::vector<int64_t> results(resultWords, 0);
  void *resultPointer = results.data();
  std::vector<void *> descriptorPointers;
  for (std::vector<int64_t> &descriptor : descriptors)
    descriptorPointers.push_back(descriptor.data());
  for (const std::vector<int64_t> &descriptor : impl->parameterDescriptors)
    descriptorPointers.push_back(const_cast<int64_t *>(descriptor.data()));
  std::vector<void *> arguments;
  arguments.push_back(&resultPointer);
  for (void *&pointer : descriptorPointers)
    arguments.push_back(&pointer);
  impl->entry(arguments.data());

  outputs.clear();
  std::set<void *> allocations;
  size_t offset = 0;
  for (size_t r = 0; r < impl->resultRanks.size(); ++r) {
    size_t rank = impl->resultRanks[r];
    const int64_t *fields = results.data() + offset;
    offset += 3 + 2 * rank;
    Tensor tensor;
    tensor.dtype = impl->resultTypes[r];
    tensor.shape.assign(fields + 3, fields + 3 + rank);
    size_t width = byteWidth(tensor.dtype);
    tensor.bytes.resize(tensor.numElements() * width);
    auto *allocated = reinterpret_cast<char *>(fields[0]);
    auto *aligned =
        reinterpret_cast<const char *>(fields[1]) + fields[2] * width;
    std::vector<int64_t> rowMajor = makeDescriptor(nullptr, tensor.shape);
    if (std::equal(fields + 3 + rank, fields + 3 + 2 * rank,
                   rowMajor.begin() + 3 + rank)) {
      if (!tensor.bytes.empty())
        std::memcpy(tensor.bytes.data(), aligned, tensor.bytes.size());
      allocations.insert(allocated);
      outputs.push_back(std::move(tensor));
      continue;
    }
    // A strided result: copy in row-major order, following the strides.
    std::vector<int64_t> index(rank, 0);
    for (size_t element = 0; element < tensor.numElements(); ++element) {
      int64_t source = 0;
      for (size_t d = 0; d < rank; ++d)
        source += index[d] * fields[3 + rank + d];
      std::memcpy(tensor.bytes.data() + element * width,
                  aligned + source * width, width);
      for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
        if (++index[d] < tensor.shape[d])
          break;
        index[d] = 0;
      }
    }
    allocations.insert(allocated);
    outputs.push_back(std::move(tensor));
  }
  // Results returned twice (`return %y, %y`) share one allocation.
  for (void *allocation : allocations)
    std::free(allocation);
  return Status::success();
}

const std::vector<Parameter> &Model::parameters() const {
  return impl->parameters;
}
size_t Model::numInputs() const { return impl->inputShapes.size(); }
const std::vector<std::vector<int64_t>> &Model::inputShapes() const {
  return impl->inputShapes;
}
const std::string &Model::targetDescription() const { return impl->target; }
const std::string &Model::targetReason() const { return impl->targetReason; }
const std::vector<std::pair<std::string, double>> &Model::stageTimings() const {
  return impl->timings;
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
