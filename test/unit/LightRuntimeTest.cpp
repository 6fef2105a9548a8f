//===- LightRuntimeTest.cpp - the light runtime's own parts ---------------===//
//
// The host CPU feature check against the kernel's view (/proc/cpuinfo), and
// the .npy reader's error values. Artifacts end to end are tested by
// test/Tools/qtensor-compile.mlir and qtensor-exec.mlir.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/CpuFeatures.h"
#include "qtensor/Runtime/Npy.h"

#include "gtest/gtest.h"

#include <fstream>
#include <set>
#include <sstream>

namespace {

/// The flags of the first processor in /proc/cpuinfo.
std::set<std::string> cpuinfoFlags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0)
      continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string flag; words >> flag;)
      flags.insert(flag);
    return flags;
  }
  return {};
}

TEST(CpuFeaturesTest, AgreeWithTheKernel) {
  std::set<std::string> flags = cpuinfoFlags();
  if (flags.empty())
    GTEST_SKIP() << "no /proc/cpuinfo flags on this machine";
  // LLVM's feature name -> the kernel's flag. The kernel clears the AVX and
  // AVX-512 flags when the OS does not save their registers, as our check
  // (xgetbv) does.
  const std::pair<const char *, const char *> names[] = {
      {"cmov", "cmov"},
      {"sse2", "sse2"},
      {"sse3", "pni"},
      {"ssse3", "ssse3"},
      {"sse4.1", "sse4_1"},
      {"sse4.2", "sse4_2"},
      {"popcnt", "popcnt"},
      {"cx16", "cx16"},
      {"movbe", "movbe"},
      {"xsave", "xsave"},
      {"aes", "aes"},
      {"pclmul", "pclmulqdq"},
      {"avx", "avx"},
      {"f16c", "f16c"},
      {"fma", "fma"},
      {"avx2", "avx2"},
      {"bmi", "bmi1"},
      {"bmi2", "bmi2"},
      {"lzcnt", "abm"},
      {"adx", "adx"},
      {"sha", "sha_ni"},
      {"avx512f", "avx512f"},
      {"avx512dq", "avx512dq"},
      {"avx512cd", "avx512cd"},
      {"avx512bw", "avx512bw"},
      {"avx512vl", "avx512vl"},
      {"avx512ifma", "avx512ifma"},
      {"avx512vbmi", "avx512vbmi"},
      {"avx512vbmi2", "avx512_vbmi2"},
      {"avx512vnni", "avx512_vnni"},
      {"avx512bitalg", "avx512_bitalg"},
      {"avx512vpopcntdq", "avx512_vpopcntdq"},
      {"avx512bf16", "avx512_bf16"},
      {"avx512fp16", "avx512_fp16"},
      {"gfni", "gfni"},
      {"vaes", "vaes"},
      {"vpclmulqdq", "vpclmulqdq"},
  };
  for (const auto &[feature, flag] : names) {
    EXPECT_TRUE(qtensor::isCheckableCpuFeature(feature)) << feature;
    EXPECT_EQ(qtensor::hostHasCpuFeature(feature), flags.count(flag) == 1)
        << feature << " vs /proc/cpuinfo flag " << flag;
  }
}

TEST(CpuFeaturesTest, UnknownFeaturesAreMissing) {
  EXPECT_FALSE(qtensor::isCheckableCpuFeature("x87"));
  EXPECT_FALSE(qtensor::hostHasCpuFeature("no-such-feature"));
  EXPECT_EQ(qtensor::missingCpuFeatures({"sse2", "no-such-feature"}),
            std::vector<std::string>{"no-such-feature"});
}

TEST(NpyTest, RoundTripAndErrors) {
  qtensor::NpyArray array{"|i1", {2, 3}, {1, 2, 3, 4, 5, 6}};
  std::string path = ::testing::TempDir() + "/light-runtime-test.npy";
  ASSERT_TRUE(qtensor::writeNpy(path, array));
  qtensor::NpyArray read;
  ASSERT_TRUE(qtensor::readNpy(path, read));
  EXPECT_EQ(read.dtype, "|i1");
  EXPECT_EQ(read.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(read.bytes, array.bytes);

  std::string contents;
  ASSERT_TRUE(qtensor::readFile(path, contents));
  EXPECT_EQ(qtensor::parseNpy(contents.substr(0, contents.size() - 1), read)
                .message(),
            "the .npy data has 5 bytes, its shape needs 6");
  EXPECT_EQ(qtensor::parseNpy("\x93NUMPY\x01", read).message(),
            "truncated .npy header");
  EXPECT_EQ(qtensor::parseNpy("PK\x03\x04", read).message(),
            "not a .npy file (no \\x93NUMPY magic)");
  EXPECT_EQ(qtensor::readNpy(path + ".missing", read).message(),
            "cannot open '" + path + ".missing': No such file or directory");
}

} // namespace
