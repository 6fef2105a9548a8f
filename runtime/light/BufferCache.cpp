//===- BufferCache.cpp - the allocator compiled code's buffers come from --===//
//
// The CPU and GPU pipelines lower memref.alloc / memref.dealloc to the
// generic `_mlir_memref_to_llvm_*` functions, defined here. Large buffers
// are kept on free lists after they are freed instead of going back to the
// C library: glibc serves them with mmap and unmaps them on free, so every
// op of every call would page-fault its output in afresh (a 128-token
// prefill of a 22-layer decoder spent most of its attention time there).
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/EntryPoint.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

namespace {

/// Every block starts with this header, one cache line before the pointer
/// handed out, so that free finds the block's size class and base.
struct alignas(64) BlockHeader {
  void *base;
  /// The block's capacity in bytes (a size class) when it is cached on
  /// free; 0 for a block that goes straight back to the C library.
  size_t capacity;
};
static_assert(sizeof(BlockHeader) == 64, "the header keeps 64-byte alignment");

/// Smaller blocks are the C library's business: its arenas keep them.
constexpr size_t kMinCachedBytes = size_t(128) << 10;
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
constexpr bool kAddressSanitizer = __has_feature(address_sanitizer);
#else
constexpr bool kAddressSanitizer = false;
#endif
/// The free lists hold at most this many bytes; beyond it, freed blocks go
/// back to the system. Under AddressSanitizer nothing is cached, so that a
/// use after free in compiled code is still caught.
constexpr size_t kMaxIdleBytes = kAddressSanitizer ? 0 : size_t(2) << 30;
/// Four size classes per power of two: a block wastes at most 25%.
constexpr unsigned kStepsPerOctave = 4;
constexpr unsigned kClasses = 64 * kStepsPerOctave;

/// The size class of `bytes` (>= kMinCachedBytes): its index and capacity.
std::pair<unsigned, size_t> sizeClass(size_t bytes) {
  unsigned octave = 63 - __builtin_clzll(bytes);
  size_t step = (size_t(1) << octave) / kStepsPerOctave;
  size_t steps = (bytes - (size_t(1) << octave) + step - 1) / step;
  // steps == kStepsPerOctave is the next octave's first class.
  return {octave * kStepsPerOctave + unsigned(steps),
          (size_t(1) << octave) + steps * step};
}

class BufferCache {
public:
  void *allocate(size_t bytes, size_t alignment) {
    if (alignment > alignof(BlockHeader))
      return allocateUncached(bytes, alignment);
    // Past 2^62 bytes a size class could overflow; no such buffer exists.
    // Without caching (ASan) no size is rounded up: the sanitizer sees each
    // buffer's own end.
    if (kMaxIdleBytes == 0 || bytes < kMinCachedBytes ||
        bytes > (size_t(1) << 62))
      return allocateUncached(bytes, alignof(BlockHeader));
    auto [index, capacity] = sizeClass(bytes);
    {
      std::lock_guard<std::mutex> lock(mutex);
      std::vector<BlockHeader *> &list = freeLists[index];
      if (!list.empty()) {
        BlockHeader *header = list.back();
        list.pop_back();
        idleBytes -= header->capacity;
        return header + 1;
      }
    }
    size_t total = capacity + sizeof(BlockHeader);
    void *base = std::aligned_alloc(alignof(BlockHeader), total);
    // Out of memory: the idle blocks go back to the system, then once more.
    if (!base && trim() > 0)
      base = std::aligned_alloc(alignof(BlockHeader), total);
    if (!base)
      return nullptr;
    auto *header = static_cast<BlockHeader *>(base);
    header->base = base;
    header->capacity = capacity;
    return header + 1;
  }

  void release(void *pointer) {
    if (!pointer)
      return;
    BlockHeader *header = static_cast<BlockHeader *>(pointer) - 1;
    if (header->capacity != 0 && header->capacity <= kMaxIdleBytes) {
      std::lock_guard<std::mutex> lock(mutex);
      // Over the limit, the idle blocks go (the sizes in use have changed,
      // e.g. with a longer prompt) and this one stays.
      if (idleBytes + header->capacity > kMaxIdleBytes)
        trimLocked();
      idleBytes += header->capacity;
      freeLists[sizeClass(header->capacity).first].push_back(header);
      return;
    }
    std::free(header->base);
  }

  size_t trim() {
    std::lock_guard<std::mutex> lock(mutex);
    return trimLocked();
  }

  size_t idle() {
    std::lock_guard<std::mutex> lock(mutex);
    return idleBytes;
  }

private:
  size_t trimLocked() {
    size_t released = idleBytes;
    for (std::vector<BlockHeader *> &list : freeLists) {
      for (BlockHeader *header : list)
        std::free(header->base);
      list.clear();
      list.shrink_to_fit();
    }
    idleBytes = 0;
    return released;
  }

  /// A block of the C library's with the header just before an
  /// `alignment`-aligned pointer.
  static void *allocateUncached(size_t bytes, size_t alignment) {
    size_t total;
    if (__builtin_add_overflow(bytes, alignment, &total))
      return nullptr;
    // aligned_alloc wants a multiple of the alignment.
    total = (total + alignment - 1) / alignment * alignment;
    if (total < bytes)
      return nullptr;
    char *base = static_cast<char *>(std::aligned_alloc(alignment, total));
    if (!base)
      return nullptr;
    auto *header = reinterpret_cast<BlockHeader *>(base + alignment) - 1;
    header->base = base;
    header->capacity = 0;
    return header + 1;
  }

  std::mutex mutex;
  std::array<std::vector<BlockHeader *>, kClasses> freeLists;
  size_t idleBytes = 0;
};

/// Never destroyed: compiled code may still free buffers while the process
/// exits (another thread's call, a static's destructor).
BufferCache &bufferCache() {
  static BufferCache *cache = new BufferCache;
  return *cache;
}

} // namespace

extern "C" {

void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  return bufferCache().allocate(bytes, alignof(BlockHeader));
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  // A power of two, as aligned_alloc requires; anything else is the
  // generated code's bug, answered like a failed allocation.
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return nullptr;
  return bufferCache().allocate(bytes, alignment);
}

void _mlir_memref_to_llvm_free(void *pointer) {
  bufferCache().release(pointer);
}

size_t qtensorTrimBufferCache() { return bufferCache().trim(); }

size_t qtensorBufferCacheIdleBytes() { return bufferCache().idle(); }

size_t qtensorBufferCacheLimitBytes() { return kMaxIdleBytes; }
}
