//===- ArtifactWriter.cpp - compile a model into an AOT artifact ----------===//
//
// The qtensor pipeline as for the JIT, then LLVM IR for a chosen x86 CPU, an
// object file, and the system C compiler as the linker of model.so. The
// code's external references are libc, libm, libomp (parallel kernels),
// qtensorMemrefCopy and, for CUDA, the mgpu* functions: the light runtime
// and the CUDA runtime define those, so an artifact runs without LLVM.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Artifact.h"
#include "qtensor/Runtime/Runtime.h"

#include "Compiler.h"
#include "qtensor/Passes/GpuPipeline.h"
#include "qtensor/Passes/Registration.h"
#include "qtensor/Runtime/CpuFeatures.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <unistd.h>

using namespace mlir;

namespace qtensor {

namespace {

constexpr const char *kEntryName = "qtensor_forward";
constexpr const char *kInitialStateName = "state.bin";

/// Adds `void qtensor_forward(void **arguments)`, which unpacks the
/// addresses in `arguments` (see EntryPoint.h) and calls the C interface of
/// @forward: the same packing the MLIR ExecutionEngine gives JIT-ed code.
Status addPackedEntry(llvm::Module &module) {
  llvm::Function *target = module.getFunction("_mlir_ciface_forward");
  if (!target)
    return Status::error("the compiled code has no _mlir_ciface_forward");
  llvm::LLVMContext &context = module.getContext();
  auto *pointer = llvm::PointerType::getUnqual(context);
  auto *type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(context), {pointer}, false);
  auto *wrapper = llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                                         kEntryName, module);
  wrapper->setVisibility(llvm::GlobalValue::DefaultVisibility);
  llvm::IRBuilder<> builder(
      llvm::BasicBlock::Create(context, "entry", wrapper));
  llvm::Value *arguments = wrapper->getArg(0);
  llvm::SmallVector<llvm::Value *> values;
  for (auto [index, argument] : llvm::enumerate(target->args())) {
    llvm::Value *slot = builder.CreateConstGEP1_64(pointer, arguments, index);
    llvm::Value *address = builder.CreateLoad(pointer, slot);
    values.push_back(builder.CreateLoad(argument.getType(), address));
  }
  llvm::Value *result = builder.CreateCall(target, values);
  if (!target->getReturnType()->isVoidTy()) {
    llvm::Value *slot =
        builder.CreateConstGEP1_64(pointer, arguments, values.size());
    builder.CreateStore(result, builder.CreateLoad(pointer, slot));
  }
  builder.CreateRetVoid();
  return Status::success();
}

/// The features of the target machine's CPU that an artifact records, so
/// that a host lacking one refuses it.
std::vector<std::string> requiredCpuFeatures(const llvm::TargetMachine &tm) {
  std::vector<std::string> features;
  for (const llvm::SubtargetFeatureKV &feature :
       tm.getMCSubtargetInfo()->getEnabledProcessorFeatures())
    if (isCheckableCpuFeature(feature.Key))
      features.push_back(feature.Key);
  std::sort(features.begin(), features.end());
  return features;
}

/// Runs the system C compiler as the linker: model.so from one object.
Status linkSharedLibrary(const std::string &object, const std::string &output,
                         bool openMP, const std::string &logFile) {
  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    cc = llvm::sys::findProgramByName("gcc");
  if (!cc)
    return Status::error("no C compiler (cc) on PATH to link the artifact: "
                         "install build-essential");
  llvm::SmallVector<llvm::StringRef> arguments = {*cc,    "-shared", "-o",
                                                  output, object,    "-lm"};
  if (openMP)
    arguments.push_back(QTENSOR_OPENMP_RUNTIME);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logFile, logFile};
  std::string error;
  int status = llvm::sys::ExecuteAndWait(*cc, arguments, std::nullopt,
                                         redirects, 0, 0, &error);
  if (status != 0) {
    std::string log;
    if (auto buffer = llvm::MemoryBuffer::getFile(logFile))
      log = (*buffer)->getBuffer().trim().str();
    return Status::error("linking the artifact with " + *cc + " failed" +
                         (error.empty() ? "" : ": " + error) +
                         (log.empty() ? "" : ": " + log));
  }
  return Status::success();
}

/// Appends `size` bytes to `file` at the next 64-byte aligned offset (zero
/// padding before), which it returns: the layout of weights.bin and
/// state.bin.
size_t appendAligned(std::string &file, const char *data, size_t size) {
  file.resize((file.size() + 63) / 64 * 64, '\0');
  size_t offset = file.size();
  file.append(data, size);
  return offset;
}

/// Writes `contents` to `path`; errors name the file.
Status writeFile(const std::string &path, llvm::StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return Status::error("cannot write '" + path + "': " + ec.message());
  os << contents;
  os.close();
  if (os.has_error()) {
    os.clear_error();
    return Status::error("cannot write '" + path + "'");
  }
  return Status::success();
}

/// Everything but the rename: writes the artifact into `staging`.
Status writeArtifact(const std::string &path, const CompileOptions &options,
                     const ArtifactOptions &artifactOptions,
                     const std::string &staging) {
  detail::CodeTarget code;
  if (options.target == Target::Cuda) {
    code.cuda = true;
    code.chip = artifactOptions.chip;
    if (!mlir::qtensor::getGpuChipFeatures(code.chip))
      return Status::error("unsupported chip '" + code.chip +
                           "' (expected sm_80, sm_86, sm_89, sm_90 or "
                           "sm_90a)");
    // A fatbin holds the cubin and the PTX (which newer GPUs' drivers
    // compile); without a toolkit the artifact carries PTX alone.
    const std::string &binary = artifactOptions.gpuBinary;
    bool toolkit = mlir::qtensor::findCudaTool("ptxas", "") &&
                   mlir::qtensor::findCudaTool("fatbinary", "");
    if (binary == "auto")
      code.gpuFormat = toolkit ? "fatbin" : "isa";
    else if (binary == "isa" || binary == "fatbin")
      code.gpuFormat = binary;
    else
      return Status::error("unknown GPU binary '" + binary +
                           "' (expected auto, isa or fatbin)");
  }
  std::unique_ptr<llvm::TargetMachine> machine;
  QTENSOR_RETURN_IF_ERROR(
      detail::createTargetMachine(artifactOptions.cpu, machine));
  code.cpuVectorBits =
      machine->getMCSubtargetInfo()->checkFeatures("+avx512f") ? 512 : 256;

  DialectRegistry registry;
  mlir::qtensor::registerAllDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();
  detail::StageTimings timings;
  OwningOpRef<ModuleOp> module;
  QTENSOR_RETURN_IF_ERROR(
      detail::loadModel(path, options, context, module, timings));
  EntrySignature signature;
  QTENSOR_RETURN_IF_ERROR(detail::lowerModel(
      *module, options, code, options.dumpStagesDirectory, timings, signature));
  std::vector<detail::ModuleParameter> parameters;
  QTENSOR_RETURN_IF_ERROR(detail::takeParameters(
      *module, signature.inputs.size() + signature.states.size(), parameters));
  bool openMP = detail::usesOpenMP(*module);

  // LLVM IR for the artifact's CPU, optimized, as an object file.
  detail::registerTranslations(context);
  detail::FirstError diagnostic(&context);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, "qtensor-artifact");
  if (!llvmModule)
    return Status::error(
        "translation to LLVM IR failed" +
        (diagnostic.str().empty() ? std::string() : ": " + diagnostic.str()));
  if (llvm::Function *copy = llvmModule->getFunction("memrefCopy"))
    copy->setName("qtensorMemrefCopy");
  QTENSOR_RETURN_IF_ERROR(addPackedEntry(*llvmModule));
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple());
  if (llvm::Error error = detail::optimizeForTarget(*llvmModule, *machine))
    return Status::error("optimizing the LLVM IR failed: " +
                         llvm::toString(std::move(error)));
  llvm::SmallString<0> objectBytes;
  {
    llvm::raw_svector_ostream os(objectBytes);
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return Status::error("LLVM cannot emit an object file for " +
                           machine->getTargetCPU().str());
    codegen.run(*llvmModule);
  }
  std::string object = staging + "/model.o";
  QTENSOR_RETURN_IF_ERROR(writeFile(object, objectBytes));
  QTENSOR_RETURN_IF_ERROR(linkSharedLibrary(object, staging + "/model.so",
                                            openMP, staging + "/link.log"));
  llvm::sys::fs::remove(object);
  llvm::sys::fs::remove(staging + "/link.log");

  // weights.bin: the parameters at 64-byte aligned offsets. state.bin:
  // each state's initial value, likewise; written with or without the
  // weights, since it belongs to the model's code.
  std::string weights, initialState;
  std::vector<size_t> offsets, stateOffsets;
  for (const detail::ModuleParameter &parameter : parameters)
    offsets.push_back(
        appendAligned(weights, parameter.bytes.data(), parameter.bytes.size()));
  for (const StateSpec &state : signature.states)
    stateOffsets.push_back(appendAligned(
        initialState, reinterpret_cast<const char *>(state.initial.data()),
        state.initial.size()));
  if (artifactOptions.includeWeights)
    QTENSOR_RETURN_IF_ERROR(writeFile(staging + "/weights.bin", weights));
  if (!signature.states.empty())
    QTENSOR_RETURN_IF_ERROR(
        writeFile(staging + "/" + kInitialStateName, initialState));

  // manifest.json.
  std::string manifest;
  llvm::raw_string_ostream text(manifest);
  llvm::json::OStream json(text, 2);
  json.object([&] {
    json.attribute("format", "qtensor-artifact");
    json.attribute("version", kArtifactFormatVersion);
    json.attribute("producer",
                   "qtensor-compile (LLVM " LLVM_VERSION_STRING ")");
    json.attribute("target", code.cuda ? "cuda" : "cpu");
    json.attribute("cpu", machine->getTargetCPU());
    json.attributeArray("cpu_features", [&] {
      for (const std::string &feature : requiredCpuFeatures(*machine))
        json.value(feature);
    });
    if (code.cuda) {
      json.attribute("chip", code.chip);
      json.attribute("gpu_binary", code.gpuFormat);
      if (!options.gpuKernelOptions.empty())
        json.attribute("gpu_kernel_options", options.gpuKernelOptions);
    }
    json.attribute("library", "model.so");
    json.attribute("entry", kEntryName);
    json.attribute("quantization", options.quantization.str());
    json.attribute("weights_bytes", static_cast<int64_t>(weights.size()));
    if (artifactOptions.includeWeights)
      json.attribute("weights", "weights.bin");
    json.attributeArray("inputs", [&] {
      for (const InputSpec &input : signature.inputs)
        json.object([&] {
          json.attribute("dtype", toString(input.dtype));
          // Static sizes as integers, dynamic ones by name ("?", "T").
          json.attributeArray("shape", [&] {
            for (const InputDim &dim : input.dims) {
              if (dim.isDynamic())
                json.value(dim.name);
              else
                json.value(dim.size);
            }
          });
        });
    });
    json.attributeArray("outputs", [&] {
      for (size_t i = 0; i < signature.resultTypes.size(); ++i)
        json.object([&] {
          json.attribute("dtype", toString(signature.resultTypes[i]));
          json.attribute("rank",
                         static_cast<int64_t>(signature.resultRanks[i]));
        });
    });
    // A decoder's interface (docs/decoding.md); empty for other models.
    json.attributeArray("input_bounds", [&] {
      for (int64_t bound : signature.inputBounds)
        json.value(bound);
    });
    json.attributeArray("status_messages", [&] {
      for (const std::string &message : signature.statusMessages)
        json.value(message);
    });
    if (!signature.states.empty())
      json.attribute("initial_state", kInitialStateName);
    json.attributeArray("states", [&] {
      for (size_t index = 0; index < signature.states.size(); ++index)
        json.object([&] {
          const StateSpec &state = signature.states[index];
          json.attribute("name", state.name);
          json.attribute("dtype", toString(state.dtype));
          json.attributeArray("shape", [&] {
            for (int64_t size : state.shape)
              json.value(size);
          });
          json.attribute("offset", static_cast<int64_t>(stateOffsets[index]));
          json.attribute("bytes", static_cast<int64_t>(state.initial.size()));
        });
    });
    json.attributeArray("parameters", [&] {
      // An index loop: lambdas cannot capture structured bindings (C++17).
      for (size_t index = 0; index < parameters.size(); ++index)
        json.object([&] {
          const Parameter &parameter = parameters[index].parameter;
          json.attribute("name", parameter.name);
          json.attribute("dtype", toString(parameter.dtype));
          json.attributeArray("shape", [&] {
            for (int64_t size : parameter.shape)
              json.value(size);
          });
          json.attribute("layout", parameter.layout);
          json.attribute("offset", static_cast<int64_t>(offsets[index]));
          json.attribute("bytes", static_cast<int64_t>(parameter.bytes));
        });
    });
  });
  text << "\n";
  return writeFile(staging + "/manifest.json", manifest);
}

} // namespace

Status compileArtifact(const std::string &path, const CompileOptions &options,
                       const ArtifactOptions &artifactOptions,
                       const std::string &directory) {
  if (options.target == Target::Auto)
    return Status::error("an artifact is compiled for one target: cpu or "
                         "cuda, not auto");
  QTENSOR_RETURN_IF_ERROR(detail::validateOptions(options));
  if (options.profile)
    return Status::error("the op profile is for models compiled in process "
                         "(Model::compile), not artifacts");
  llvm::StringRef parent = llvm::sys::path::parent_path(directory);
  if (!parent.empty() && !llvm::sys::fs::is_directory(parent))
    return Status::error("cannot write the artifact '" + directory +
                         "': directory '" + parent.str() + "' does not exist");
  if (!options.dumpStagesDirectory.empty())
    if (std::error_code ec =
            llvm::sys::fs::create_directories(options.dumpStagesDirectory))
      return Status::error("cannot create '" + options.dumpStagesDirectory +
                           "': " + ec.message());
  // Replaces an artifact or an empty directory, nothing else.
  if (llvm::sys::fs::exists(directory)) {
    std::error_code ec;
    bool replaceable = llvm::sys::fs::is_directory(directory) &&
                       (llvm::sys::fs::exists(directory + "/manifest.json") ||
                        (llvm::sys::fs::directory_iterator(directory, ec) ==
                             llvm::sys::fs::directory_iterator() &&
                         !ec));
    if (!replaceable)
      return Status::error("'" + directory +
                           "' exists and is not a qtensor artifact: not "
                           "replacing it");
  }
  std::string staging = directory + ".partial-" + std::to_string(::getpid());
  llvm::sys::fs::remove_directories(staging);
  if (std::error_code ec = llvm::sys::fs::create_directories(staging))
    return Status::error("cannot create '" + staging + "': " + ec.message());
  Status status = writeArtifact(path, options, artifactOptions, staging);
  if (status) {
    llvm::sys::fs::remove_directories(directory);
    if (std::error_code ec = llvm::sys::fs::rename(staging, directory))
      status = Status::error("cannot move the artifact to '" + directory +
                             "': " + ec.message());
  }
  if (!status)
    llvm::sys::fs::remove_directories(staging);
  return status;
}

} // namespace qtensor
