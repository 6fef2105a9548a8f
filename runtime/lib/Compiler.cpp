//===- Compiler.cpp - what the JIT and the AOT writer share ---------------===//

#include "Compiler.h"

#include "qtensor/Dialect/ElementTypes.h"
#include "qtensor/Importer/TorchScriptImporter.h"
#include "qtensor/Passes/CpuPipeline.h"
#include "qtensor/Passes/GpuPipeline.h"
#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>

#if defined(__SANITIZE_ADDRESS__)
/// Sanitized builds only. The JIT dlopen()s libomp, whose worker threads then
/// hold dynamic TLS; GCC 12's LeakSanitizer crashes reading those DTLS
/// ranges at exit ("Tracer caught signal 11"). Not intercepting
/// __tls_get_addr stops that tracking. Manual poisoning is off too: LLVM's
/// BumpPtrAllocator, inlined into our instrumented code, poisons slab space
/// that uninstrumented libMLIR then allocates from, and ASan would report
/// false use-after-poison errors (test/Fuzz/SanitizerDefaults.cpp). Every
/// other check stays on. Defined here, in the object that both the JIT
/// (Model) and the AOT writer (compileArtifact) link, so that qtensor's
/// tools, tests and programs built against a sanitized qtensor all get it
/// (a static library links only the objects a program references).
extern "C" const char *__asan_default_options() {
  return "intercept_tls_get_addr=0:allow_user_poisoning=0";
}
#endif

using namespace mlir;

namespace qtensor::detail {

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

FirstError::FirstError(MLIRContext *context)
    : handler(context, [this](Diagnostic &diag) {
        if (diag.getSeverity() == DiagnosticSeverity::Error && text.empty()) {
          llvm::raw_string_ostream os(text);
          if (auto file =
                  diag.getLocation()->findInstanceOf<FileLineColLoc>()) {
            os << file.getFilename() << ":" << file.getLine();
            // Column 0: unknown (a traced model records lines only).
            if (file.getColumn())
              os << ":" << file.getColumn();
            os << ": ";
          }
          os << diag.str();
        }
        return success();
      }) {}

namespace {

std::optional<DType> toDType(Type type) {
  return mlir::qtensor::getElementTypeKind(type);
}

/// Times each pass and, when asked, writes the IR after it to a file.
class StageInstrumentation : public PassInstrumentation {
public:
  StageInstrumentation(StageTimings &timings, std::string dumpDirectory)
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
    std::string name = pass->getArgument().str();
    if (name.empty()) // A nested pipeline, e.g. func.func(...).
      name = "nested";
    timings.emplace_back(name, millisecondsSince(start));
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

  StageTimings &timings;
  std::string dumpDirectory;
  std::chrono::steady_clock::time_point start;
  int depth = 0;
  size_t dumped = 0;
};

} // namespace

/// Sets the kernel tuning options named in `text` ("small-m=8
/// splitk-columns=2") on `pipeline` and checks their ranges (with the
/// pass's own check and message); the target, the binary format and the
/// stages come from the compile options, so other keys are refused.
static Status
applyGpuKernelOptions(llvm::StringRef text,
                      mlir::qtensor::GpuPipelineOptions &pipeline) {
  static constexpr llvm::StringLiteral kTunable[] = {
      "small-m", "tile-m", "tensor-cores", "splitk-columns"};
  SmallVector<StringRef> words;
  llvm::SplitString(text, words);
  for (StringRef word : words) {
    StringRef key = word.split('=').first;
    if (!llvm::is_contained(kTunable, key))
      return Status::error("unknown GPU kernel option '" + key.str() +
                           "' (expected small-m, tile-m, tensor-cores or "
                           "splitk-columns)");
  }
  std::string problem;
  llvm::raw_string_ostream os(problem);
  if (failed(pipeline.parseFromString(text, os)))
    return Status::error("bad GPU kernel options '" + text.str() +
                         "': " + StringRef(problem).trim().str());
  if (std::optional<std::string> range =
          mlir::qtensor::checkKernelMappingOptions(
              pipeline.smallM, pipeline.tileM, pipeline.splitKColumns))
    return Status::error("qtensor-configure-gpu-kernels: " + *range);
  return Status::success();
}

/// Descriptions built in C++ rather than parsed: the parser's rules.
static Status validateInputs(const CompileOptions &options) {
  for (auto [index, input] : llvm::enumerate(options.inputs)) {
    std::string problem;
    InputSpec parsed;
    // A scalar (no dimensions) has no spelling to round-trip.
    if (input.dims.empty())
      continue;
    if (!parseInputSpec(input.str(), input.dtype, parsed, problem) ||
        parsed != input)
      return Status::error(
          "invalid input " + std::to_string(index) + " " +
          input.bracketedShape() + ": " +
          (problem.empty() ? "not as parseInputSpec reads it" : problem));
  }
  return Status::success();
}

Status validateOptions(const CompileOptions &options) {
  QTENSOR_RETURN_IF_ERROR(validateInputs(options));
  if (!options.quantization.isImplemented())
    return Status::error(notImplementedMessage(options.quantization));
  if (options.profile && options.target == Target::Cuda)
    return Status::error("the op profile is for the CPU: compile with "
                         "target cpu");
  if (options.gpuKernelOptions.empty())
    return Status::success();
  if (options.target == Target::Cpu)
    return Status::error("GPU kernel options apply to cuda targets only");
  // Checked even when Target::Auto then chooses the CPU.
  mlir::qtensor::GpuPipelineOptions scratch;
  return applyGpuKernelOptions(options.gpuKernelOptions, scratch);
}

Status loadModel(const std::string &path, const CompileOptions &options,
                 MLIRContext &context, OwningOpRef<ModuleOp> &module,
                 StageTimings &timings) {
  llvm::StringRef extension = llvm::sys::path::extension(path);
  if (extension != ".pt" && extension != ".mlir")
    return Status::error("'" + path +
                         "' is neither a TorchScript model (.pt) nor MLIR "
                         "(.mlir)");
  auto start = std::chrono::steady_clock::now();
  if (extension == ".pt") {
    mlir::qtensor::ImportOptions importOptions;
    importOptions.inputs = options.inputs;
    auto imported =
        mlir::qtensor::importTorchScript(context, path, importOptions);
    if (!imported)
      return Status::error(llvm::toString(imported.takeError()));
    module = std::move(*imported);
  } else {
    // Only the importer follows where dynamic sizes meet; IR given as is
    // gets the one shared size '?', which the runtime checks.
    for (const InputSpec &input : options.inputs)
      for (const InputDim &dim : input.dims)
        if (dim.isDynamic() && dim.name != "?")
          return Status::error("'" + path +
                               "': dynamic sizes of an .mlir "
                               "model are '?', not named ('" +
                               dim.name +
                               "'): only the TorchScript importer can check "
                               "where named sizes meet");
    auto contents =
        llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!contents)
      return Status::error("cannot open '" + path +
                           "': " + contents.getError().message());
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
  timings.emplace_back(extension == ".pt" ? "import" : "parse",
                       millisecondsSince(start));
  return Status::success();
}

/// Records @forward's interface for the runtime as module attributes, which
/// survive lowering and the compile cache: `qtensor.signature` (inputs ->
/// outputs and status, the results the lowered code returns),
/// `qtensor.states` (each state's name and initial value) and
/// `qtensor.status` (the messages of the run-time checks).
static Status recordInterface(ModuleOp module, func::FuncOp forward) {
  MLIRContext *context = module.getContext();
  Builder builder(context);
  SmallVector<Type> inputs, results;
  SmallVector<Attribute> states;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    Type type = forward.getArgument(i).getType();
    auto name = forward.getArgAttrOfType<StringAttr>(i, "qtensor.state");
    if (!name) {
      if (!states.empty())
        return Status::error("argument " + std::to_string(i) +
                             " of @forward is an input after a state "
                             "argument; states must follow the inputs");
      inputs.push_back(type);
      continue;
    }
    auto initial =
        forward.getArgAttrOfType<ElementsAttr>(i, "qtensor.initial_value");
    if (!initial || initial.getType() != type)
      return Status::error("the state '" + name.str() +
                           "' of @forward has no qtensor.initial_value of its "
                           "type");
    states.push_back(
        builder.getDictionaryAttr({builder.getNamedAttr("name", name),
                                   builder.getNamedAttr("value", initial)}));
  }
  ArrayAttr messages;
  unsigned numStateResults = 0;
  for (unsigned i = 0; i < forward.getNumResults(); ++i) {
    Type type = forward.getResultTypes()[i];
    if (forward.getResultAttr(i, "qtensor.state")) {
      ++numStateResults;
      continue;
    }
    bool isStatus =
        static_cast<bool>(forward.getResultAttr(i, "qtensor.status"));
    if (numStateResults != 0 || messages)
      return Status::error("result " + std::to_string(i) +
                           " of @forward follows its status or states; the "
                           "outputs come first");
    if (isStatus) {
      messages = forward.getResultAttrOfType<ArrayAttr>(i, "qtensor.status");
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!messages || !tensor || tensor.getRank() != 0 ||
          !tensor.getElementType().isInteger(32) ||
          !llvm::all_of(messages,
                        [](Attribute a) { return isa<StringAttr>(a); }))
        return Status::error("the status result of @forward must be a "
                             "tensor<i32> with a qtensor.status array of "
                             "messages");
    }
    results.push_back(type);
  }
  if (numStateResults != states.size())
    return Status::error("@forward has " + std::to_string(states.size()) +
                         " state arguments but " +
                         std::to_string(numStateResults) + " state results");
  module->setAttr("qtensor.signature",
                  TypeAttr::get(builder.getFunctionType(inputs, results)));
  module->setAttr("qtensor.states", builder.getArrayAttr(states));
  if (auto bounds =
          forward->getAttrOfType<DenseI64ArrayAttr>("qtensor.input_bounds")) {
    if (bounds.size() != static_cast<int64_t>(inputs.size()))
      return Status::error("qtensor.input_bounds of @forward must have one "
                           "entry per input");
    module->setAttr("qtensor.input_bounds", bounds);
  }
  if (messages)
    module->setAttr("qtensor.status", messages);
  else
    module->removeAttr("qtensor.status");
  return Status::success();
}

Status readSignature(ModuleOp module, const CompileOptions &options,
                     EntrySignature &signature) {
  auto typeAttr = module->getAttrOfType<TypeAttr>("qtensor.signature");
  auto type =
      typeAttr ? dyn_cast<FunctionType>(typeAttr.getValue()) : FunctionType();
  if (!type)
    return Status::error("the compiled module has no qtensor.signature");
  if (!options.inputs.empty() && options.inputs.size() != type.getNumInputs())
    return Status::error("@forward takes " +
                         std::to_string(type.getNumInputs()) + " inputs, but " +
                         std::to_string(options.inputs.size()) +
                         " input shapes were given");
  signature = EntrySignature();
  for (auto [index, argument] : llvm::enumerate(type.getInputs())) {
    auto tensor = dyn_cast<RankedTensorType>(argument);
    std::optional<DType> dtype =
        tensor ? toDType(tensor.getElementType()) : std::nullopt;
    if (!dtype)
      return Status::error("input " + std::to_string(index) +
                           " of @forward is not a tensor of f32, f16, bf16, "
                           "i8, i32, i64 or i1");
    std::vector<int64_t> shape;
    for (int64_t size : tensor.getShape())
      shape.push_back(ShapedType::isDynamic(size) ? kDynamicSize : size);
    // The description names the dynamic sizes; without one, each is '?'.
    InputSpec input = InputSpec::fromShape(shape, *dtype);
    if (!options.inputs.empty()) {
      const InputSpec &given = options.inputs[index];
      if (given.shape() != shape || given.dtype != *dtype)
        return Status::error("input " + std::to_string(index) +
                             " of @forward is " + input.str() + ", not " +
                             given.str());
      input = given;
    }
    signature.inputs.push_back(std::move(input));
  }
  if (auto states = module->getAttrOfType<ArrayAttr>("qtensor.states")) {
    for (Attribute entry : states) {
      auto dict = dyn_cast<DictionaryAttr>(entry);
      auto name = dict ? dict.getAs<StringAttr>("name") : nullptr;
      auto value = dict ? dict.getAs<ElementsAttr>("value") : nullptr;
      if (!name || !value)
        return Status::error("malformed qtensor.states entry");
      auto valueType = cast<ShapedType>(value.getType());
      std::optional<DType> dtype = toDType(valueType.getElementType());
      if (!dtype || !valueType.hasStaticShape())
        return Status::error("the state '" + name.str() +
                             "' has an unsupported type");
      StateSpec state;
      state.name = name.str();
      state.dtype = *dtype;
      state.shape.assign(valueType.getShape().begin(),
                         valueType.getShape().end());
      SmallVector<char> splat;
      FailureOr<ArrayRef<char>> bytes =
          mlir::qtensor::getRawElementBytes(value, splat);
      size_t size = valueType.getNumElements() * byteWidth(*dtype);
      if (failed(bytes) || bytes->size() != size)
        return Status::error("the state '" + state.name +
                             "' has no initial value of its size");
      state.initial.assign(bytes->begin(), bytes->end());
      signature.states.push_back(std::move(state));
    }
  }
  if (auto bounds =
          module->getAttrOfType<DenseI64ArrayAttr>("qtensor.input_bounds"))
    signature.inputBounds.assign(bounds.asArrayRef().begin(),
                                 bounds.asArrayRef().end());
  if (auto messages = module->getAttrOfType<ArrayAttr>("qtensor.status")) {
    for (Attribute message : messages) {
      auto text = dyn_cast<StringAttr>(message);
      if (!text)
        return Status::error("malformed qtensor.status: not a message");
      signature.statusMessages.push_back(text.str());
    }
    // The status is the last result, an int32 scalar.
    if (type.getNumResults() == 0 ||
        type.getResults().back() !=
            RankedTensorType::get({},
                                  IntegerType::get(module.getContext(), 32)))
      return Status::error("malformed qtensor.status: the last result of "
                           "@forward is not an i32 status");
  }
  for (Type result : type.getResults()) {
    auto tensor = dyn_cast<RankedTensorType>(result);
    std::optional<DType> dtype =
        tensor ? toDType(tensor.getElementType()) : std::nullopt;
    if (!dtype)
      return Status::error("a result of @forward is not a tensor of a "
                           "supported element type");
    signature.resultTypes.push_back(*dtype);
    signature.resultRanks.push_back(tensor.getRank());
  }
  return Status::success();
}

Status lowerModel(ModuleOp module, const CompileOptions &options,
                  const CodeTarget &target, const std::string &dumpDirectory,
                  StageTimings &timings, EntrySignature &signature) {
  MLIRContext *context = module.getContext();
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.isExternal())
    return Status::error("the model has no function @forward with a body");
  // The tensor signature is gone once lowered; a cached module needs it.
  QTENSOR_RETURN_IF_ERROR(recordInterface(module, forward));
  QTENSOR_RETURN_IF_ERROR(readSignature(module, options, signature));
  if (target.cuda && !signature.states.empty())
    return Status::error("models with state (" + signature.states[0].name +
                         ", ...) compile for the CPU only so far");
  forward->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                   UnitAttr::get(context));
  // The caller's input buffers are read-only; the states are written in
  // place.
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    forward.setArgAttr(i, "bufferization.writable",
                       BoolAttr::get(context, i >= signature.inputs.size()));

  FirstError diagnostic(context);
  PassManager pm(context);
  pm.addInstrumentation(
      std::make_unique<StageInstrumentation>(timings, dumpDirectory));
  if (target.cuda) {
    mlir::qtensor::GpuPipelineOptions pipeline;
    pipeline.chip = target.chip;
    pipeline.format = target.gpuFormat;
    pipeline.quantization = options.quantization.str();
    pipeline.fuse = options.fuse;
    pipeline.parameters = true;
    QTENSOR_RETURN_IF_ERROR(
        applyGpuKernelOptions(options.gpuKernelOptions, pipeline));
    mlir::qtensor::buildGpuPipeline(pm, pipeline);
  } else {
    mlir::qtensor::CpuPipelineOptions pipeline;
    pipeline.quantization = options.quantization.str();
    pipeline.fuse = options.fuse;
    pipeline.parameters = true;
    // Chunks of 128 columns: 8 register tiles per task, and enough tasks to
    // balance two to a few dozen threads on 4096-wide layers.
    pipeline.parallelChunk = options.parallel ? 128 : 0;
    pipeline.vectorBits = target.cpuVectorBits;
    pipeline.profile = options.profile;
    if (pipeline.vectorBits == 0)
      pipeline.vectorBits =
          llvm::sys::getHostCPUFeatures().lookup("avx512f") ? 512 : 256;
    mlir::qtensor::buildCpuPipeline(pm, pipeline);
  }
  if (failed(pm.run(module)))
    return Status::error(diagnostic.str().empty() ? "compilation failed"
                                                  : diagnostic.str());
  return Status::success();
}

Status takeParameters(ModuleOp module, size_t numInputs,
                      std::vector<ModuleParameter> &parameters) {
  parameters.clear();
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
    parameters.resize(entries.size());
    for (auto [position, entry] : llvm::enumerate(entries)) {
      if (entry.first != static_cast<int64_t>(numInputs + position))
        return Status::error("malformed qtensor.parameters: the parameters "
                             "of @forward do not follow its inputs");
      DictionaryAttr dict = entry.second;
      auto value = dict.getAs<ElementsAttr>("value");
      auto valueType = cast<ShapedType>(value.getType());
      ModuleParameter &taken = parameters[position];
      Parameter &parameter = taken.parameter;
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
      parameter.data = nullptr;
      FailureOr<ArrayRef<char>> bytes =
          mlir::qtensor::getRawElementBytes(value, taken.splat);
      if (failed(bytes) || bytes->size() != parameter.bytes)
        return Status::error("parameter " + parameter.name +
                             " has no data, or data of the wrong size");
      taken.bytes = *bytes;
    }
    // The bytes stay valid: attributes and resource blobs are owned by the
    // context, not by the module.
    module->removeAttr("qtensor.parameters");
  }
  for (StringRef name : {"qtensor.signature", "qtensor.states",
                         "qtensor.status", "qtensor.input_bounds"})
    module->removeAttr(name);
  // Attributes that name parameters and states mean nothing to LLVM.
  module.walk([](LLVM::LLVMFuncOp func) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      for (StringRef name :
           {"qtensor.parameter", "qtensor.state", "qtensor.initial_value"})
        func.removeArgAttr(i, StringAttr::get(func.getContext(), name));
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      func.removeResultAttr(
          i, StringAttr::get(func.getContext(), "qtensor.status"));
  });
  return Status::success();
}

bool usesOpenMP(ModuleOp module) {
  return module
      ->walk([](Operation *op) {
        return op->getDialect() && op->getDialect()->getNamespace() == "omp"
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

void registerTranslations(MLIRContext &context) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  context.appendDialectRegistry(registry);
}

} // namespace qtensor::detail
