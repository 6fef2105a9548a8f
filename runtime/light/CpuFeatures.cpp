//===- CpuFeatures.cpp - x86 features an artifact needs -------------------===//

#include "qtensor/Runtime/CpuFeatures.h"

#include <cpuid.h>

namespace qtensor {

namespace {

/// Where cpuid reports a feature: leaf, subleaf, register, bit.
enum Register { EAX, EBX, ECX, EDX };
enum class State { None, Avx, Avx512 };
struct FeatureBit {
  const char *name; ///< LLVM's name
  unsigned leaf, subleaf;
  Register reg;
  unsigned bit;
  /// The register state the OS must save for the feature to be usable.
  State state;
};

constexpr FeatureBit kFeatures[] = {
    {"cmov", 1, 0, EDX, 15, State::None},
    {"sse", 1, 0, EDX, 25, State::None},
    {"sse2", 1, 0, EDX, 26, State::None},
    {"sse3", 1, 0, ECX, 0, State::None},
    {"pclmul", 1, 0, ECX, 1, State::None},
    {"ssse3", 1, 0, ECX, 9, State::None},
    {"fma", 1, 0, ECX, 12, State::Avx},
    {"cx16", 1, 0, ECX, 13, State::None},
    {"sse4.1", 1, 0, ECX, 19, State::None},
    {"sse4.2", 1, 0, ECX, 20, State::None},
    {"movbe", 1, 0, ECX, 22, State::None},
    {"popcnt", 1, 0, ECX, 23, State::None},
    {"aes", 1, 0, ECX, 25, State::None},
    {"xsave", 1, 0, ECX, 26, State::None},
    {"avx", 1, 0, ECX, 28, State::Avx},
    {"f16c", 1, 0, ECX, 29, State::Avx},
    {"bmi", 7, 0, EBX, 3, State::None},
    {"avx2", 7, 0, EBX, 5, State::Avx},
    {"bmi2", 7, 0, EBX, 8, State::None},
    {"avx512f", 7, 0, EBX, 16, State::Avx512},
    {"avx512dq", 7, 0, EBX, 17, State::Avx512},
    {"adx", 7, 0, EBX, 19, State::None},
    {"avx512ifma", 7, 0, EBX, 21, State::Avx512},
    {"avx512cd", 7, 0, EBX, 28, State::Avx512},
    {"sha", 7, 0, EBX, 29, State::None},
    {"avx512bw", 7, 0, EBX, 30, State::Avx512},
    {"avx512vl", 7, 0, EBX, 31, State::Avx512},
    {"avx512vbmi", 7, 0, ECX, 1, State::Avx512},
    {"avx512vbmi2", 7, 0, ECX, 6, State::Avx512},
    {"gfni", 7, 0, ECX, 8, State::None},
    {"vaes", 7, 0, ECX, 9, State::Avx},
    {"vpclmulqdq", 7, 0, ECX, 10, State::Avx},
    {"avx512vnni", 7, 0, ECX, 11, State::Avx512},
    {"avx512bitalg", 7, 0, ECX, 12, State::Avx512},
    {"avx512vpopcntdq", 7, 0, ECX, 14, State::Avx512},
    {"avx512vp2intersect", 7, 0, EDX, 8, State::Avx512},
    {"avx512fp16", 7, 0, EDX, 23, State::Avx512},
    {"avxvnni", 7, 1, EAX, 4, State::Avx},
    {"avx512bf16", 7, 1, EAX, 5, State::Avx512},
    {"lzcnt", 0x80000001, 0, ECX, 5, State::None},
    {"sse4a", 0x80000001, 0, ECX, 6, State::None},
};

const FeatureBit *findFeature(std::string_view name) {
  for (const FeatureBit &feature : kFeatures)
    if (name == feature.name)
      return &feature;
  return nullptr;
}

/// True when the OS saves the register state `state` needs (XCR0 bits).
bool osSaves(const CpuidReader &cpu, State state) {
  if (state == State::None)
    return true;
  uint32_t registers[4];
  if (!cpu.cpuid(1, 0, registers) || !(registers[ECX] & (1u << 27)))
    return false;        // no OSXSAVE: no xgetbv
  uint64_t needed = 0x6; // SSE and AVX state
  if (state == State::Avx512)
    needed |= 0xe0; // opmask, ZMM0-15 upper halves, ZMM16-31
  return (cpu.xcr0() & needed) == needed;
}

class HostCpuid final : public CpuidReader {
public:
  bool cpuid(uint32_t leaf, uint32_t subleaf,
             uint32_t registers[4]) const override {
    unsigned maximum = __get_cpuid_max(leaf & 0x80000000u, nullptr);
    if (maximum < leaf)
      return false;
    __cpuid_count(leaf, subleaf, registers[EAX], registers[EBX], registers[ECX],
                  registers[EDX]);
    return true;
  }
  uint64_t xcr0() const override {
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return uint64_t(high) << 32 | low;
  }
};

} // namespace

CpuidReader::~CpuidReader() = default;

const CpuidReader &hostCpuid() {
  static const HostCpuid host;
  return host;
}

bool isCheckableCpuFeature(std::string_view feature) {
  return findFeature(feature) != nullptr;
}

std::vector<std::string_view> checkableCpuFeatures() {
  std::vector<std::string_view> names;
  for (const FeatureBit &feature : kFeatures)
    names.push_back(feature.name);
  return names;
}

bool cpuHasFeature(const CpuidReader &cpu, std::string_view name) {
  const FeatureBit *feature = findFeature(name);
  if (!feature)
    return false;
  uint32_t registers[4];
  if (!cpu.cpuid(feature->leaf, feature->subleaf, registers))
    return false;
  return (registers[feature->reg] >> feature->bit & 1u) &&
         osSaves(cpu, feature->state);
}

bool hostHasCpuFeature(std::string_view name) {
  return cpuHasFeature(hostCpuid(), name);
}

std::vector<std::string>
missingCpuFeatures(const std::vector<std::string> &required) {
  std::vector<std::string> missing;
  for (const std::string &feature : required)
    if (!hostHasCpuFeature(feature))
      missing.push_back(feature);
  return missing;
}

} // namespace qtensor
