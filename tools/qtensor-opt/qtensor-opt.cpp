//===- qtensor-opt.cpp - the qtensor optimizer driver ---------------------===//
//
// mlir-opt with the qtensor dialect and passes. Like every qtensor tool it
// reports bad input as `error: ...` and exits with 2; the output file is only
// kept when the whole run succeeds.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Registration.h"
#include "qtensor/Tooling/ToolSupport.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <unistd.h>

/// Runs `parse` with stderr captured, since LLVM's option parser prints
/// option value errors itself; returns what it printed.
static std::string captureStderr(llvm::function_ref<void()> parse) {
  llvm::errs().flush();
  std::fflush(stderr);
  FILE *capture = std::tmpfile();
  int saved = dup(STDERR_FILENO);
  if (!capture || saved < 0) {
    parse();
    return "";
  }
  dup2(fileno(capture), STDERR_FILENO);
  parse();
  llvm::errs().flush();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string text;
  std::rewind(capture);
  char chunk[512];
  while (size_t got = std::fread(chunk, 1, sizeof(chunk), capture))
    text.append(chunk, got);
  std::fclose(capture);
  return text;
}

/// Checks every pass, pipeline and --pass-pipeline argument before the
/// options are parsed for real, so that a bad option value is one `error:`
/// line (LLVM's parser would print its own format).
static int checkPassArguments(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    if (!arg.consume_front("-"))
      continue;
    arg.consume_front("-");
    auto [name, value] = arg.split('=');
    bool hasValue = arg.contains('=');
    std::string pipeline;
    if (name == "pass-pipeline" && hasValue)
      pipeline = value.str();
    else if (mlir::PassPipelineInfo::lookup(name) ||
             mlir::PassInfo::lookup(name))
      pipeline = hasValue ? (name + "{" + value + "}").str() : name.str();
    else
      continue;
    bool failed = false;
    std::string printed = captureStderr([&] {
      if (name == "pass-pipeline") {
        failed = mlir::failed(mlir::parsePassPipeline(pipeline));
      } else {
        mlir::OpPassManager pm(mlir::OpPassManager::Nesting::Implicit);
        failed = mlir::failed(mlir::parsePassPipeline(pipeline, pm));
      }
    });
    if (!failed)
      continue;
    // The first line that says something, without the parsers' prefixes.
    llvm::SmallVector<llvm::StringRef> lines;
    llvm::StringRef(printed).split(lines, '\n', -1, false);
    std::string why = "invalid value";
    for (llvm::StringRef line : lines) {
      // Diagnostics end in "...: error: <why>"; option errors start with
      // the parser's or the program's name.
      if (size_t at = line.rfind("error: "); at != llvm::StringRef::npos)
        line = line.drop_front(at + 7);
      for (llvm::StringRef prefix : {"<Pass-Options-Parser>:", "qtensor-opt:"})
        line.consume_front(prefix);
      line = line.trim().ltrim(':').trim();
      if (!line.empty() && line != "^") {
        why = line.str();
        break;
      }
    }
    return mlir::qtensor::reportBadInput(llvm::Twine("invalid --") + name +
                                         " options: " + why);
  }
  return 0;
}

#if defined(__SANITIZE_ADDRESS__)
/// Sanitized builds only. LLVM's BumpPtrAllocator poisons its free slab space
/// in code built with ASan; our instrumented code (the dialect's attribute
/// storage) and Debian's uninstrumented libMLIR share the context's
/// allocators, so libMLIR's allocations land in space our copies poisoned
/// and ASan reports false use-after-poison errors. Manual poisoning is off;
/// every other check stays on (as in test/Fuzz/SanitizerDefaults.cpp).
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}
#endif

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::qtensor::registerAllDialects(registry);
  mlir::qtensor::registerAllPasses();
  if (int status = checkPassArguments(argc, argv))
    return status;
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "qtensor modular optimizer driver\n", registry);

  // Upstream prints unprefixed messages for unusable paths; ours follow the
  // `error:` convention of the other diagnostics.
  std::string problem = mlir::qtensor::checkInputPath(inputFilename);
  if (!problem.empty())
    return mlir::qtensor::reportBadInput(
        llvm::Twine("cannot open input file '") + inputFilename +
        "': " + problem);
  problem = mlir::qtensor::checkOutputPath(outputFilename);
  if (!problem.empty())
    return mlir::qtensor::reportBadInput(
        llvm::Twine("cannot open output file '") + outputFilename +
        "': " + problem);
  return mlir::failed(mlir::MlirOptMain(argc, argv, inputFilename,
                                        outputFilename, registry))
             ? mlir::qtensor::kExitBadInput
             : 0;
}
