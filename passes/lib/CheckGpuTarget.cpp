//===- CheckGpuTarget.cpp - validate GPU target options up front ----------===//
//
// NVPTX aborts the process (`LLVM ERROR`) on some chip / PTX combinations and
// gpu-module-to-binary finds a missing ptxas only after everything has been
// lowered; this pass turns both into one early `error:` diagnostic.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/GpuPipeline.h"
#include "qtensor/Passes/Passes.h"

#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORCHECKGPUTARGET
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

std::optional<std::string> mlir::qtensor::getGpuChipFeatures(StringRef chip) {
  // PTX ISA 8.0 (CUDA 12.0) is the oldest that knows sm_90a and the one the
  // CUDA runtime's minimum driver JIT-compiles; LLVM's default (+ptx60)
  // aborts for all of these chips.
  return llvm::StringSwitch<std::optional<std::string>>(chip)
      .Cases({"sm_80", "sm_86", "sm_89", "sm_90", "sm_90a"},
             std::string("+ptx80"))
      .Default(std::nullopt);
}

/// The variables naming a CUDA toolkit root, where gpu-module-to-binary's
/// serializer looks itself.
static constexpr const char *kCudaRootVariables[] = {"CUDA_ROOT", "CUDA_HOME",
                                                     "CUDA_PATH"};

std::optional<std::string> mlir::qtensor::findCudaTool(StringRef name,
                                                       StringRef toolkit) {
  auto inBin = [&](StringRef root) -> std::optional<std::string> {
    if (root.empty())
      return std::nullopt;
    SmallString<256> path(root);
    llvm::sys::path::append(path, "bin", name);
    if (llvm::sys::fs::can_execute(path))
      return std::string(path);
    return std::nullopt;
  };
  if (auto path = inBin(toolkit))
    return path;
  if (auto path = llvm::sys::findProgramByName(name))
    return *path;
  for (const char *variable : kCudaRootVariables)
    if (const char *root = std::getenv(variable))
      if (auto path = inBin(root))
        return path;
  return std::nullopt;
}

std::optional<std::string>
mlir::qtensor::findCudaToolkitRoot(StringRef toolkit) {
  std::optional<std::string> ptxas = findCudaTool("ptxas", toolkit);
  std::string aboveTool;
  if (ptxas)
    aboveTool =
        llvm::sys::path::parent_path(llvm::sys::path::parent_path(*ptxas))
            .str();
  SmallVector<std::string> roots = {toolkit.str(), aboveTool};
  for (const char *variable : kCudaRootVariables)
    if (const char *root = std::getenv(variable))
      roots.push_back(root);
  roots.push_back("/usr/local/cuda");
  roots.push_back("/usr/lib/cuda");
  for (const std::string &root : roots) {
    if (root.empty())
      continue;
    SmallString<256> libdevice(root);
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (llvm::sys::fs::exists(libdevice))
      return root;
  }
  if (ptxas)
    return aboveTool;
  return std::nullopt;
}

namespace {

class CheckGpuTargetPass
    : public mlir::qtensor::impl::QTensorCheckGpuTargetBase<
          CheckGpuTargetPass> {
public:
  using Base::Base;

  /// Runs when the pass manager initializes, before any pass of the pipeline
  /// touches the module: a bad target stops the compilation before codegen.
  LogicalResult initialize(MLIRContext *context) override {
    Location loc = UnknownLoc::get(context);
    if (!getGpuChipFeatures(chip))
      return emitError(loc)
             << "qtensor-gpu-pipeline: unsupported chip '" << chip
             << "' (expected sm_80, sm_86, sm_89, sm_90 or "
                "sm_90a)";
    SmallVector<StringRef, 2> tools;
    if (format == "bin")
      tools = {"ptxas"};
    else if (format == "fatbin")
      tools = {"ptxas", "fatbinary"};
    else if (format != "isa")
      return emitError(loc) << "qtensor-gpu-pipeline: unknown format '"
                            << format << "' (expected isa, bin or fatbin)";
    for (StringRef tool : tools)
      if (!findCudaTool(tool, toolkit))
        return emitError(loc)
               << "qtensor-gpu-pipeline: format=" << format << " needs '"
               << tool
               << "' from the CUDA toolkit, not found in toolkit=, PATH, "
                  "$CUDA_ROOT, $CUDA_HOME or $CUDA_PATH (format=isa needs no "
                  "toolkit)";
    return success();
  }

  /// gpu-module-to-binary translates kernels to LLVM IR in the context the
  /// pipeline runs in: registering the translations here makes the pipeline
  /// work in any tool, not only those that register every translation.
  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    registerAllGPUToLLVMIRTranslations(registry);
  }

  void runOnOperation() override {}
};

} // namespace
