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

Status readSignature(FunctionType type, const CompileOptions &options,
                     EntrySignature &signature) {
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
  QTENSOR_RETURN_IF_ERROR(
      readSignature(forward.getFunctionType(), options, signature));
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
  module->removeAttr("qtensor.signature");
  // Argument attributes that name parameters mean nothing to LLVM.
  module.walk([](LLVM::LLVMFuncOp func) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      func.removeArgAttr(
          i, StringAttr::get(func.getContext(), "qtensor.parameter"));
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
