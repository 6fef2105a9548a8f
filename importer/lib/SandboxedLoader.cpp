//===- SandboxedLoader.cpp - Loading TorchScript with LibTorch ------------===//
//
// LibTorch's loader, and the child process that tries it first: fork, a
// pipe for the error message, a data-size limit and an alarm.
//
//===----------------------------------------------------------------------===//

#include "SandboxedLoader.h"

#include "llvm/Support/MemoryBuffer.h"

#include <ATen/Parallel.h>
#include <torch/csrc/jit/passes/inliner.h>

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir::qtensor::importer;
using llvm::StringRef;
namespace jit = torch::jit;

std::string mlir::qtensor::importer::firstLine(const char *what) {
  StringRef text(what);
  return text.take_until([](char c) { return c == '\n'; }).trim().str();
}

std::shared_ptr<jit::Graph>
mlir::qtensor::importer::loadForwardGraph(const std::string &path,
                                          jit::Module &original) {
  original = jit::load(path);
  original.eval();
  jit::Module frozen = jit::freeze(original);
  std::shared_ptr<jit::Graph> graph = frozen.get_method("forward").graph();
  jit::Inline(*graph);
  return graph;
}

llvm::Error mlir::qtensor::importer::loadError(StringRef path,
                                               const llvm::Twine &reason) {
  if (StringRef(reason.str()).contains("constants.pkl"))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "'" + path +
            "' is a zip archive but not TorchScript (torch.save output?); "
            "export with torch.jit.script(model).save(path)");
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cannot load '" + path +
                                     "' as TorchScript: " + reason);
}

/// Sanitizer runtimes call this hook before they end a process; fuzzers set
/// it to save the input. Weak: null in builds without a sanitizer.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void))
    __attribute__((weak));

/// A load that takes longer than this is taken to hang.
static constexpr unsigned kLoaderTimeoutSeconds = 600;

/// Memory the loader process may use: tensors in an archive are stored
/// uncompressed, so a well-formed model needs about its file size.
static uint64_t loaderMemoryLimit(uint64_t fileSize) {
  return 2 * fileSize + (uint64_t(1) << 30);
}

/// The process's private writable memory (VmData) in bytes, or 0 when
/// unknown. Sanitizer runtimes reserve terabytes of it up front, so limits
/// are set relative to it.
static uint64_t currentDataSize() {
  auto status = llvm::MemoryBuffer::getFileAsStream("/proc/self/status");
  if (!status)
    return 0;
  StringRef text = (*status)->getBuffer();
  size_t at = text.find("VmData:");
  if (at == StringRef::npos)
    return 0;
  StringRef field = text.drop_front(at + 7).ltrim();
  uint64_t kilobytes = 0;
  if (field.consumeInteger(10, kilobytes))
    return 0;
  return kilobytes * 1024;
}

/// LibTorch's archive and pickle readers are not hardened against malformed
/// files: some crash them, some make them allocate without bound. The file
/// is therefore loaded first in a forked child with a memory limit; the
/// caller's process loads it only once the child succeeded, and otherwise
/// gets an error value.
llvm::Error mlir::qtensor::importer::loadInChildProcess(StringRef path,
                                                        uint64_t fileSize) {
  auto error = [&](const llvm::Twine &why) { return loadError(path, why); };
  std::string pathCopy = path.str();
  int channel[2];
  if (pipe(channel) != 0)
    return error(llvm::Twine("cannot create a pipe: ") + std::strerror(errno));
  pid_t child = fork();
  if (child < 0) {
    close(channel[0]);
    close(channel[1]);
    return error(llvm::Twine("cannot fork a loader process: ") +
                 std::strerror(errno));
  }
  if (child == 0) {
    close(channel[0]);
    // Crash with the default action, not through handlers the parent
    // installed (sanitizers, fuzzers, crash reporters): they are meant for
    // the parent's own faults. The child reports through the pipe only.
    for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
      std::signal(signal, SIG_DFL);
    if (__sanitizer_set_death_callback)
      __sanitizer_set_death_callback(nullptr);
    int devNull = open("/dev/null", O_WRONLY);
    if (devNull >= 0) {
      dup2(devNull, STDOUT_FILENO);
      dup2(devNull, STDERR_FILENO);
    }
    // One thread: the parent's OpenMP workers do not exist in the child,
    // and GNU OpenMP waits for them in the first parallel region (freezing
    // a model after the parent ran LibTorch's parallel code hung here).
    at::set_num_threads(1);
    alarm(kLoaderTimeoutSeconds);
    rlim_t limit = currentDataSize() + loaderMemoryLimit(fileSize);
    struct rlimit dataLimit = {limit, limit};
    setrlimit(RLIMIT_DATA, &dataLimit);
    std::string reason;
    try {
      jit::Module original;
      loadForwardGraph(pathCopy, original);
      _exit(0);
    } catch (const c10::Error &failure) {
      reason = firstLine(failure.what_without_backtrace());
    } catch (const std::bad_alloc &) {
      reason = "LibTorch needs more than the " +
               std::to_string(loaderMemoryLimit(fileSize) >> 20) +
               " MB a model of this file size can use; the archive is "
               "malformed or corrupted";
    } catch (const std::exception &failure) {
      reason = firstLine(failure.what());
    }
    const char *data = reason.data();
    size_t left = reason.size();
    while (left > 0) {
      ssize_t written = write(channel[1], data, left);
      if (written <= 0)
        break;
      data += written;
      left -= written;
    }
    _exit(1);
  }
  close(channel[1]);
  std::string reason;
  char chunk[512];
  for (;;) {
    ssize_t got = read(channel[0], chunk, sizeof(chunk));
    if (got > 0) {
      reason.append(chunk, got);
      continue;
    }
    if (got < 0 && errno == EINTR)
      continue;
    break;
  }
  close(channel[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR)
      return error(llvm::Twine("lost the loader process: ") +
                   std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return llvm::Error::success();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && !reason.empty()) {
    if (StringRef(reason).contains("not enough memory"))
      reason += " (more than a model of this file size needs; the archive "
                "is malformed or corrupted)";
    return loadError(path, reason);
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
    return error("LibTorch did not finish loading it in " +
                 llvm::Twine(kLoaderTimeoutSeconds) + " s");
  if (WIFSIGNALED(status))
    return error(llvm::Twine("LibTorch crashed reading it (") +
                 strsignal(WTERMSIG(status)) +
                 "); the archive is malformed or corrupted");
  return error("LibTorch's loader failed (exit status " +
               llvm::Twine(WEXITSTATUS(status)) +
               "); the archive is malformed or corrupted");
}
