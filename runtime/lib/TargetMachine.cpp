//===- TargetMachine.cpp - the LLVM target of host code -------------------===//
//
// The JIT and the AOT writer generate host code the same way: an LLVM
// target machine for a named CPU (or this one), whose CPU and features the
// optimizer sees as well as the code generator.
//
//===----------------------------------------------------------------------===//

#include "Compiler.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

namespace qtensor::detail {

Status createTargetMachine(const std::string &cpuOption,
                           std::unique_ptr<llvm::TargetMachine> &machine) {
  initializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return Status::error("no LLVM target for " + triple.str() + ": " + error);
  std::string cpu = cpuOption, features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures hostFeatures;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      hostFeatures.AddFeature(feature.getKey(), feature.getValue());
    features = hostFeatures.getString();
  }
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "generic", ""));
  if (!generic->isCPUStringValid(cpu))
    return Status::error("unknown CPU '" + cpuOption + "' for " + triple.str() +
                         " (try x86-64-v3, x86-64-v4, znver4, "
                         "sapphirerapids or native)");
  machine.reset(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return Status::error("cannot create an LLVM target machine for " + cpu);
  return Status::success();
}

llvm::Error optimizeForTarget(llvm::Module &module,
                              llvm::TargetMachine &machine) {
  // Without them the optimizer's cost models are a generic CPU's: no
  // vector registers to vectorize the remaining scalar loops for, other
  // unrolling.
  for (llvm::Function &function : module)
    if (!function.isDeclaration()) {
      function.addFnAttr("target-cpu", machine.getTargetCPU());
      if (!machine.getTargetFeatureString().empty())
        function.addFnAttr("target-features", machine.getTargetFeatureString());
    }
  return mlir::makeOptimizingTransformer(3, 0, &machine)(&module);
}

} // namespace qtensor::detail
