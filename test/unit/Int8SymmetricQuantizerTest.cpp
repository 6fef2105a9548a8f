//===- Int8SymmetricQuantizerTest.cpp - bytes equal the seed's ------------===//
//
// Compares qtensor's quantizer with the seed's `int8_symmetric_quantize` run
// by PyTorch (test/reference/seed_quantize.py, which ctest runs first and
// which writes its cases to $QTENSOR_SEED_CASES): random rows, scales over 60
// binades, exact .5 ties, denormals, huge values, all-zero rows.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Int8SymmetricQuantizer.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace mlir::qtensor;

namespace {

std::vector<char> readBytes(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  return std::vector<char>(std::istreambuf_iterator<char>(file), {});
}

struct SeedCase {
  std::string name;
  ::qtensor::ElementType type;
  int64_t rows, cols;
};

std::string seedCasesDir() {
  const char *dir = std::getenv("QTENSOR_SEED_CASES");
  return dir ? dir : "";
}

std::vector<SeedCase> readSeedCases() {
  std::vector<SeedCase> cases;
  std::ifstream list(seedCasesDir() + "/cases.txt");
  std::string line;
  while (std::getline(list, line)) {
    std::istringstream fields(line);
    SeedCase seedCase;
    std::string type;
    fields >> seedCase.name >> type >> seedCase.rows >> seedCase.cols;
    seedCase.type = type == "f32"   ? ::qtensor::ElementType::F32
                    : type == "f16" ? ::qtensor::ElementType::F16
                                    : ::qtensor::ElementType::BF16;
    cases.push_back(seedCase);
  }
  return cases;
}

TEST(Int8SymmetricQuantizerTest, MatchesSeedBitForBit) {
  ASSERT_FALSE(seedCasesDir().empty())
      << "QTENSOR_SEED_CASES is not set; run through ctest, or run "
         "test/reference/seed_quantize.py --out DIR and set it to DIR";
  std::vector<SeedCase> cases = readSeedCases();
  ASSERT_GE(cases.size(), 7u) << "too few cases in " << seedCasesDir();
  for (const SeedCase &seedCase : cases) {
    SCOPED_TRACE(seedCase.name);
    std::string prefix = seedCasesDir() + "/" + seedCase.name;
    std::vector<char> weights = readBytes(prefix + ".w");
    std::vector<char> expectedData = readBytes(prefix + ".q");
    std::vector<char> expectedScale = readBytes(prefix + ".s");
    int64_t width = ::qtensor::elementByteWidth(seedCase.type);
    ASSERT_EQ(static_cast<int64_t>(weights.size()),
              seedCase.rows * seedCase.cols * width);

    std::vector<char> data(seedCase.rows * seedCase.cols);
    std::vector<char> scale(seedCase.rows * width);
    std::optional<int64_t> nonFinite = quantizeInt8SymmetricRows(
        seedCase.type, weights.data(), seedCase.rows, seedCase.cols,
        reinterpret_cast<int8_t *>(data.data()), scale.data());
    ASSERT_FALSE(nonFinite.has_value());

    for (int64_t row = 0; row < seedCase.rows; ++row) {
      EXPECT_EQ(
          std::memcmp(&scale[row * width], &expectedScale[row * width], width),
          0)
          << "scale of row " << row << " differs";
      EXPECT_EQ(std::memcmp(&data[row * seedCase.cols],
                            &expectedData[row * seedCase.cols], seedCase.cols),
                0)
          << "data of row " << row << " differs";
    }
  }
}

TEST(Int8SymmetricQuantizerTest, ReportsFirstNonFiniteValue) {
  std::vector<float> weights(2 * 5, 1.0f);
  weights[7] = std::numeric_limits<float>::quiet_NaN();
  weights[9] = std::numeric_limits<float>::infinity();
  std::vector<int8_t> data(10);
  std::vector<float> scale(2);
  EXPECT_EQ(quantizeInt8SymmetricRows(::qtensor::ElementType::F32,
                                      weights.data(), 2, 5, data.data(),
                                      scale.data()),
            std::optional<int64_t>(7));
  weights[7] = 1.0f;
  EXPECT_EQ(quantizeInt8SymmetricRows(::qtensor::ElementType::F32,
                                      weights.data(), 2, 5, data.data(),
                                      scale.data()),
            std::optional<int64_t>(9));
}

TEST(Int8SymmetricQuantizerTest, StridedViewEqualsContiguousCopy) {
  // A [K, N] = [3, 4] matrix read as its [N, K] transpose, the way a frozen
  // `x @ w.t()` constant is quantized.
  std::vector<float> kn = {0.5f, -1.0f, 2.0f,  3.0f,  -4.0f, 0.25f,
                           7.0f, 1.5f,  -2.5f, 0.75f, 6.0f,  -0.125f};
  std::vector<float> nk(12);
  for (int k = 0; k < 3; ++k)
    for (int n = 0; n < 4; ++n)
      nk[n * 3 + k] = kn[k * 4 + n];
  std::vector<int8_t> viewData(12), copyData(12);
  std::vector<float> viewScale(4), copyScale(4);
  ASSERT_FALSE(quantizeInt8SymmetricRows(::qtensor::ElementType::F32, kn.data(),
                                         4, 3, viewData.data(),
                                         viewScale.data(),
                                         /*rowStride=*/1, /*colStride=*/4));
  ASSERT_FALSE(quantizeInt8SymmetricRows(::qtensor::ElementType::F32, nk.data(),
                                         4, 3, copyData.data(),
                                         copyScale.data()));
  EXPECT_EQ(viewData, copyData);
  EXPECT_EQ(viewScale, copyScale);
}

TEST(Int8SymmetricQuantizerTest, BrokenRowsDequantizeToZero) {
  std::vector<float> weights = {0.0f, 0.0f, 1e-40f, -1e-41f};
  std::vector<int8_t> data(4, 42);
  std::vector<float> scale(2);
  ASSERT_FALSE(quantizeInt8SymmetricRows(::qtensor::ElementType::F32,
                                         weights.data(), 2, 2, data.data(),
                                         scale.data()));
  EXPECT_EQ(data, std::vector<int8_t>(4, 0));
  EXPECT_EQ(scale[0], std::numeric_limits<float>::min());
  EXPECT_EQ(scale[1], std::numeric_limits<float>::min());
}

} // namespace
