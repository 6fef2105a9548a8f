//===- LightRuntimeTest.cpp - the light runtime's own parts ---------------===//
//
// The CPU feature check (cpuid decoding, against known register values), the
// manifest's JSON reader, the .npy reader's error values and the f32 -> bf16
// rounding that LLVM's X86 backend calls, the buffer cache compiled code
// allocates from. Artifacts end to
// end are tested by test/Tools/qtensor-compile.mlir and qtensor-exec.mlir.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/CpuFeatures.h"
#include "qtensor/Runtime/EntryPoint.h"
#include "qtensor/Runtime/Npy.h"

#include "Json.h"
#include "qtensor/Support/InputSpec.h"
#include "qtensor/Support/QuantScheme.h"

#include "gtest/gtest.h"

#include <array>
#include <cstring>
#include <map>
#include <set>
#include <vector>

namespace {

enum Reg { EAX, EBX, ECX, EDX };
enum class Saves { None, Avx, Avx512 };

/// Where the vendors' manuals (Intel SDM vol. 2, cpuid; AMD APM vol. 3)
/// place each feature the light runtime checks, written out here apart from
/// the runtime's own table so that a wrong bit in either fails the test.
struct DocumentedBit {
  const char *feature;
  uint32_t leaf, subleaf;
  Reg reg;
  unsigned bit;
  Saves saves;
};
constexpr DocumentedBit kDocumented[] = {
    {"cmov", 1, 0, EDX, 15, Saves::None},
    {"sse", 1, 0, EDX, 25, Saves::None},
    {"sse2", 1, 0, EDX, 26, Saves::None},
    {"sse3", 1, 0, ECX, 0, Saves::None},
    {"pclmul", 1, 0, ECX, 1, Saves::None},
    {"ssse3", 1, 0, ECX, 9, Saves::None},
    {"fma", 1, 0, ECX, 12, Saves::Avx},
    {"cx16", 1, 0, ECX, 13, Saves::None},
    {"sse4.1", 1, 0, ECX, 19, Saves::None},
    {"sse4.2", 1, 0, ECX, 20, Saves::None},
    {"movbe", 1, 0, ECX, 22, Saves::None},
    {"popcnt", 1, 0, ECX, 23, Saves::None},
    {"aes", 1, 0, ECX, 25, Saves::None},
    {"xsave", 1, 0, ECX, 26, Saves::None},
    {"avx", 1, 0, ECX, 28, Saves::Avx},
    {"f16c", 1, 0, ECX, 29, Saves::Avx},
    {"bmi", 7, 0, EBX, 3, Saves::None},
    {"avx2", 7, 0, EBX, 5, Saves::Avx},
    {"bmi2", 7, 0, EBX, 8, Saves::None},
    {"avx512f", 7, 0, EBX, 16, Saves::Avx512},
    {"avx512dq", 7, 0, EBX, 17, Saves::Avx512},
    {"adx", 7, 0, EBX, 19, Saves::None},
    {"avx512ifma", 7, 0, EBX, 21, Saves::Avx512},
    {"avx512cd", 7, 0, EBX, 28, Saves::Avx512},
    {"sha", 7, 0, EBX, 29, Saves::None},
    {"avx512bw", 7, 0, EBX, 30, Saves::Avx512},
    {"avx512vl", 7, 0, EBX, 31, Saves::Avx512},
    {"avx512vbmi", 7, 0, ECX, 1, Saves::Avx512},
    {"avx512vbmi2", 7, 0, ECX, 6, Saves::Avx512},
    {"gfni", 7, 0, ECX, 8, Saves::None},
    {"vaes", 7, 0, ECX, 9, Saves::Avx},
    {"vpclmulqdq", 7, 0, ECX, 10, Saves::Avx},
    {"avx512vnni", 7, 0, ECX, 11, Saves::Avx512},
    {"avx512bitalg", 7, 0, ECX, 12, Saves::Avx512},
    {"avx512vpopcntdq", 7, 0, ECX, 14, Saves::Avx512},
    {"avx512vp2intersect", 7, 0, EDX, 8, Saves::Avx512},
    {"avx512fp16", 7, 0, EDX, 23, Saves::Avx512},
    {"avxvnni", 7, 1, EAX, 4, Saves::Avx},
    {"avx512bf16", 7, 1, EAX, 5, Saves::Avx512},
    {"lzcnt", 0x80000001, 0, ECX, 5, Saves::None},
    {"sse4a", 0x80000001, 0, ECX, 6, Saves::None},
};

constexpr uint32_t kOsxsave = 1u << 27; // leaf 1, ECX
constexpr uint64_t kXcr0All = 0xe7;     // x87, SSE, AVX, AVX-512 state

/// A CPU that reports the registers a test gives it, up to its maximum
/// basic and extended leaves.
class FakeCpu final : public qtensor::CpuidReader {
public:
  uint32_t maxBasic = 7, maxExtended = 0x80000001;
  uint64_t xcr0Value = kXcr0All;
  std::map<std::pair<uint32_t, uint32_t>, std::array<uint32_t, 4>> leaves;

  void set(uint32_t leaf, uint32_t subleaf, Reg reg, unsigned bit) {
    leaves[{leaf, subleaf}][reg] |= 1u << bit;
  }
  bool cpuid(uint32_t leaf, uint32_t subleaf,
             uint32_t registers[4]) const override {
    uint32_t maximum = leaf & 0x80000000u ? maxExtended : maxBasic;
    if (leaf > maximum)
      return false;
    auto it = leaves.find({leaf, subleaf});
    for (int i = 0; i < 4; ++i)
      registers[i] = it == leaves.end() ? 0 : it->second[i];
    return true;
  }
  uint64_t xcr0() const override { return xcr0Value; }
};

TEST(CpuFeaturesTest, EveryCheckableFeatureIsDocumentedHere) {
  std::set<std::string> checkable, documented;
  for (std::string_view feature : qtensor::checkableCpuFeatures())
    checkable.emplace(feature);
  for (const DocumentedBit &entry : kDocumented) {
    documented.insert(entry.feature);
    EXPECT_TRUE(qtensor::isCheckableCpuFeature(entry.feature)) << entry.feature;
  }
  EXPECT_EQ(checkable, documented);
}

TEST(CpuFeaturesTest, EachFeatureReadsItsOwnBit) {
  for (const DocumentedBit &entry : kDocumented) {
    FakeCpu cpu;
    cpu.set(1, 0, ECX, 27); // OSXSAVE
    cpu.set(entry.leaf, entry.subleaf, entry.reg, entry.bit);
    for (const DocumentedBit &other : kDocumented)
      EXPECT_EQ(qtensor::cpuHasFeature(cpu, other.feature), &other == &entry)
          << other.feature << " with only the bit of " << entry.feature;
  }
}

TEST(CpuFeaturesTest, AvxFeaturesNeedTheOsToSaveTheirRegisters) {
  for (const DocumentedBit &entry : kDocumented) {
    FakeCpu cpu;
    cpu.set(entry.leaf, entry.subleaf, entry.reg, entry.bit);
    // No OSXSAVE: xgetbv cannot be asked, so no AVX state is known saved.
    EXPECT_EQ(qtensor::cpuHasFeature(cpu, entry.feature),
              entry.saves == Saves::None)
        << entry.feature << " without OSXSAVE";
    cpu.set(1, 0, ECX, 27);
    cpu.xcr0Value = 0x3; // x87 and SSE state only
    EXPECT_EQ(qtensor::cpuHasFeature(cpu, entry.feature),
              entry.saves == Saves::None)
        << entry.feature << " with XCR0 = 0x3";
    cpu.xcr0Value = 0x7; // and AVX, not AVX-512
    EXPECT_EQ(qtensor::cpuHasFeature(cpu, entry.feature),
              entry.saves != Saves::Avx512)
        << entry.feature << " with XCR0 = 0x7";
    cpu.xcr0Value = 0x67; // AVX-512 state without the opmask registers
    EXPECT_EQ(qtensor::cpuHasFeature(cpu, entry.feature),
              entry.saves != Saves::Avx512)
        << entry.feature << " with XCR0 = 0x67";
  }
}

TEST(CpuFeaturesTest, LeavesAboveTheMaximumAreNotRead) {
  FakeCpu cpu;
  cpu.set(1, 0, ECX, 27);
  for (const DocumentedBit &entry : kDocumented)
    cpu.set(entry.leaf, entry.subleaf, entry.reg, entry.bit);
  cpu.maxBasic = 1;
  cpu.maxExtended = 0x80000000;
  for (const DocumentedBit &entry : kDocumented)
    EXPECT_EQ(qtensor::cpuHasFeature(cpu, entry.feature), entry.leaf == 1)
        << entry.feature;
}

TEST(CpuFeaturesTest, HostHasTheX8664Baseline) {
  // Every x86-64 CPU has these: the host path (cpuid itself) works.
  for (const char *feature : {"cmov", "sse", "sse2"})
    EXPECT_TRUE(qtensor::hostHasCpuFeature(feature)) << feature;
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

/// The message of parsing `text`, which must fail.
std::string jsonError(std::string_view text) {
  qtensor::json::Value value;
  qtensor::Status status = qtensor::json::parse(text, value);
  EXPECT_FALSE(status) << text;
  return status.message();
}

TEST(JsonTest, ReadsEveryKind) {
  qtensor::json::Value value;
  ASSERT_TRUE(qtensor::json::parse(
      " {\"n\": null, \"t\": true, \"f\": false, \"i\": -42, "
      "\"big\": 9007199254740993, \"x\": 2.5e-1, \"s\": "
      "\"a\\\"b\\\\c\\/\\n\\t\\u0041\", \"a\": [1, [], {}]}\n",
      value));
  ASSERT_EQ(value.kind, qtensor::json::Value::Kind::Object);
  EXPECT_EQ(value.object.size(), 8u);
  EXPECT_EQ(value.get("n")->kind, qtensor::json::Value::Kind::Null);
  EXPECT_TRUE(value.get("t")->boolean);
  EXPECT_EQ(value.get("f")->kind, qtensor::json::Value::Kind::Bool);
  EXPECT_FALSE(value.get("f")->boolean);
  EXPECT_EQ(value.get("i")->integer, std::optional<int64_t>(-42));
  // Integers keep all their digits, beyond what a double holds.
  EXPECT_EQ(value.get("big")->integer,
            std::optional<int64_t>(9007199254740993));
  EXPECT_EQ(value.get("x")->number, 0.25);
  EXPECT_FALSE(value.get("x")->integer);
  EXPECT_EQ(value.get("s")->string, "a\"b\\c/\n\tA");
  const qtensor::json::Value *array = value.get("a");
  ASSERT_EQ(array->array.size(), 3u);
  EXPECT_EQ(array->array[1].kind, qtensor::json::Value::Kind::Array);
  EXPECT_EQ(array->array[2].kind, qtensor::json::Value::Kind::Object);
  EXPECT_EQ(value.get("missing"), nullptr);
  EXPECT_EQ(array->get("a"), nullptr); // not an object
  // An integer beyond int64 is a number without an exact integer.
  ASSERT_TRUE(qtensor::json::parse("99999999999999999999", value));
  EXPECT_FALSE(value.integer);
  EXPECT_EQ(value.number, 1e20);
}

TEST(JsonTest, NestingIsBounded) {
  std::string ok = std::string(64, '[') + std::string(64, ']');
  qtensor::json::Value value;
  EXPECT_TRUE(qtensor::json::parse(ok, value));
  std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_EQ(jsonError(deep), "JSON nested too deeply at offset 64");
  // Far deeper than the stack would allow without the bound.
  EXPECT_EQ(jsonError(std::string(1 << 20, '[')),
            "JSON nested too deeply at offset 64");
}

TEST(JsonTest, ErrorsSayWhatAndWhere) {
  EXPECT_EQ(jsonError(""), "unexpected end of JSON at offset 0");
  EXPECT_EQ(jsonError("{} x"), "unexpected text after the JSON value at "
                               "offset 3");
  EXPECT_EQ(jsonError("{1: 2}"), "expected a string key at offset 1");
  EXPECT_EQ(jsonError("{\"a\" 2}"), "expected ':' at offset 5");
  EXPECT_EQ(jsonError("{\"a\": 2 \"b\": 3}"),
            "expected ',' or '}' at offset 8");
  EXPECT_EQ(jsonError("[1 2]"), "expected ',' or ']' at offset 3");
  EXPECT_EQ(jsonError("@"), "unexpected character '@' at offset 0");
  EXPECT_EQ(jsonError("\"abc"), "unterminated JSON string at offset 4");
  EXPECT_EQ(jsonError("\"a\nb\""),
            "control character in a JSON string at offset 3");
  EXPECT_EQ(jsonError("\"\\q\""), "unknown escape '\\q' at offset 3");
  EXPECT_EQ(jsonError("\"\\u00\""), "truncated \\u escape at offset 3");
  EXPECT_EQ(jsonError("\"\\u00zz\""), "malformed \\u escape at offset 6");
  EXPECT_EQ(jsonError("\"\\u00e9\""),
            "non-ASCII \\u escape in a manifest string at offset 7");
  EXPECT_EQ(jsonError("-"), "malformed number '-' at offset 1");
  EXPECT_EQ(jsonError("1e+"), "malformed number '1e+' at offset 3");
  EXPECT_EQ(jsonError("1e999"), "malformed number '1e999' at offset 5");
  EXPECT_EQ(jsonError("tru"), "unexpected character 't' at offset 0");
}

/// The reason parseInputSpec gives for `text`, which must fail.
std::string specError(std::string_view text) {
  qtensor::InputSpec spec;
  std::string problem;
  EXPECT_FALSE(
      qtensor::parseInputSpec(text, qtensor::ElementType::F32, spec, problem))
      << text;
  return problem;
}

TEST(InputSpecTest, Spellings) {
  qtensor::InputSpec spec;
  std::string problem;
  ASSERT_TRUE(qtensor::parseInputSpec("?x64", qtensor::ElementType::BF16, spec,
                                      problem));
  EXPECT_EQ(spec.shape(), (std::vector<int64_t>{-1, 64}));
  EXPECT_EQ(spec.dtype, qtensor::ElementType::BF16);
  EXPECT_EQ(spec.str(), "?x64:bf16");
  ASSERT_TRUE(qtensor::parseInputSpec("1xSEQ_2:i64", qtensor::ElementType::F32,
                                      spec, problem));
  EXPECT_EQ(spec.dims[1].name, "SEQ_2");
  EXPECT_TRUE(spec.dims[1].isDynamic());
  EXPECT_EQ(spec.dtype, qtensor::ElementType::I64);
  EXPECT_EQ(spec.bracketedShape(), "[1, SEQ_2]");
  ASSERT_TRUE(qtensor::parseInputSpec(
      "0x4294967296x?:bool", qtensor::ElementType::F32, spec, problem));
  EXPECT_EQ(spec.shape(), (std::vector<int64_t>{0, 4294967296, -1}));
  // str() reads back to the same description, for every element type.
  for (qtensor::ElementType type : qtensor::kElementTypes) {
    spec.dtype = type;
    qtensor::InputSpec again;
    ASSERT_TRUE(qtensor::parseInputSpec(spec.str(), qtensor::ElementType::F32,
                                        again, problem));
    EXPECT_EQ(again, spec) << spec.str();
    EXPECT_EQ(qtensor::parseElementType(qtensor::elementTypeName(type)), type);
  }
}

TEST(InputSpecTest, Errors) {
  EXPECT_EQ(specError(""), "no dimensions (a shape is e.g. 4x64, ?x64 or 1xT)");
  EXPECT_EQ(specError(":f32"),
            "no dimensions (a shape is e.g. 4x64, ?x64 or 1xT)");
  EXPECT_EQ(specError("4xx64"), "empty dimension");
  EXPECT_EQ(specError("4x"), "empty dimension");
  EXPECT_EQ(specError("4xabc"), "'abc' is not a size, '?' or a name "
                                "(upper-case letters, digits and '_')");
  EXPECT_EQ(specError("4x-1"), "'-1' is not a size, '?' or a name "
                               "(upper-case letters, digits and '_')");
  EXPECT_EQ(specError("4x4294967297"),
            "dimension 4294967297 is too large (at most 2^32)");
  EXPECT_EQ(specError("99999999999999999999999x4"),
            "dimension 99999999999999999999999 is too large (at most 2^32)");
  EXPECT_EQ(specError("4x64:f64"), "unknown dtype 'f64' (expected f32, f16, "
                                   "bf16, i8, i32, i64 or bool)");
  EXPECT_EQ(specError("4x64:"), "unknown dtype '' (expected f32, f16, bf16, "
                                "i8, i32, i64 or bool)");
}

TEST(InputSpecTest, OneSizePerName) {
  std::vector<qtensor::InputSpec> specs(2);
  std::string problem;
  ASSERT_TRUE(qtensor::parseInputSpec("1xT", qtensor::ElementType::I64,
                                      specs[0], problem));
  ASSERT_TRUE(qtensor::parseInputSpec("Tx?", qtensor::ElementType::I64,
                                      specs[1], problem));
  EXPECT_TRUE(qtensor::checkInputShapes(specs, {{1, 5}, {5, 3}}, problem));
  EXPECT_FALSE(qtensor::checkInputShapes(specs, {{1, 5}, {4, 3}}, problem));
  EXPECT_EQ(problem, "input 1 dimension 0 ('T') is 4, but 5 in input 0: a "
                     "dynamic size takes one value per call");
  EXPECT_FALSE(qtensor::checkInputShapes(specs, {{2, 5}, {5, 3}}, problem));
  EXPECT_EQ(problem,
            "input 0 has shape [2, 5], the model was compiled for [1, T]");
  EXPECT_FALSE(qtensor::checkInputShapes(specs, {{1, 5}, {5}}, problem));
  EXPECT_EQ(problem,
            "input 1 has shape [5], the model was compiled for [T, ?]");
  // Within one input too: TxT is square.
  ASSERT_TRUE(qtensor::parseInputSpec("TxT", qtensor::ElementType::F32,
                                      specs[0], problem));
  EXPECT_FALSE(qtensor::checkInputShapes({specs[0]}, {{2, 3}}, problem));
  EXPECT_EQ(problem, "input 0 dimension 1 ('T') is 3, but 2 in input 0: a "
                     "dynamic size takes one value per call");
}

TEST(QuantSchemeTest, SpellingsAndProperties) {
  qtensor::QuantScheme scheme;
  std::string problem;
  for (const char *text : {"none", "int8", "int4:g32", "int4:g64", "int4:g128",
                           "int4:g256", "w8a8"}) {
    ASSERT_TRUE(qtensor::parseQuantScheme(text, scheme, problem)) << text;
    EXPECT_EQ(scheme.str(), text);
  }
  ASSERT_TRUE(qtensor::parseQuantScheme("int4", scheme, problem));
  EXPECT_EQ(scheme, qtensor::QuantScheme::int4(128));
  EXPECT_EQ(scheme.weightBits(), 4u);
  EXPECT_FALSE(scheme.weightSigned());
  EXPECT_EQ(scheme.granularity(), qtensor::QuantGranularity::PerGroup);
  EXPECT_EQ(scheme.scaleType(), qtensor::ElementType::BF16);
  EXPECT_TRUE(scheme.hasFloatZeros());
  EXPECT_EQ(scheme.packing(), qtensor::WeightPacking::Nibbles);
  EXPECT_FALSE(scheme.isImplemented());

  qtensor::QuantScheme int8 = qtensor::QuantScheme::int8();
  EXPECT_EQ(int8.weightBits(), 8u);
  EXPECT_TRUE(int8.weightSigned());
  EXPECT_EQ(int8.granularity(), qtensor::QuantGranularity::PerRow);
  EXPECT_FALSE(int8.scaleType()); // the weight's own float type
  EXPECT_FALSE(int8.hasFloatZeros());
  EXPECT_FALSE(int8.quantizesActivations());
  EXPECT_TRUE(int8.isImplemented());
  EXPECT_TRUE(qtensor::QuantScheme::w8a8().quantizesActivations());
  EXPECT_FALSE(qtensor::QuantScheme::none().quantizesWeights());

  for (const char *text : {"", "int3", "int4:g48", "int4:", "INT8", "int8 "}) {
    EXPECT_FALSE(qtensor::parseQuantScheme(text, scheme, problem)) << text;
    EXPECT_EQ(problem, "unknown quantization scheme '" + std::string(text) +
                           "' (expected none, int8, int4, int4:g32, "
                           "int4:g64, int4:g128, int4:g256 or w8a8)");
  }
  EXPECT_EQ(qtensor::notImplementedMessage(qtensor::QuantScheme::w8a8()),
            "quantization scheme 'w8a8' is not implemented yet "
            "(implemented: none, int8)");
}

} // namespace

namespace {

/// The bf16 bits qtensorTruncSfBf2 leaves in the low half of its result.
uint16_t truncToBf16Bits(uint32_t floatBits) {
  float value, result;
  std::memcpy(&value, &floatBits, sizeof value);
  result = qtensorTruncSfBf2(value);
  uint32_t resultBits;
  std::memcpy(&resultBits, &result, sizeof resultBits);
  return static_cast<uint16_t>(resultBits & 0xffffu);
}

TEST(Bf16ConversionTest, RoundsToNearestEvenAndQuietsNaN) {
  // Exact values keep their high half.
  EXPECT_EQ(truncToBf16Bits(0x3f800000u), 0x3f80u); // 1.0
  EXPECT_EQ(truncToBf16Bits(0xc0490000u), 0xc049u); // -3.140625
  EXPECT_EQ(truncToBf16Bits(0x00000000u), 0x0000u);
  EXPECT_EQ(truncToBf16Bits(0x80000000u), 0x8000u); // -0.0
  // Below, at and above the halfway point; ties go to the even neighbour.
  EXPECT_EQ(truncToBf16Bits(0x3f807fffu), 0x3f80u);
  EXPECT_EQ(truncToBf16Bits(0x3f808000u), 0x3f80u); // tie, 0x3f80 is even
  EXPECT_EQ(truncToBf16Bits(0x3f818000u), 0x3f82u); // tie, 0x3f81 is odd
  EXPECT_EQ(truncToBf16Bits(0x3f808001u), 0x3f81u);
  // The largest finite floats round up to infinity; infinities stay.
  EXPECT_EQ(truncToBf16Bits(0x7f7fffffu), 0x7f80u);
  EXPECT_EQ(truncToBf16Bits(0x7f800000u), 0x7f80u);
  EXPECT_EQ(truncToBf16Bits(0xff800000u), 0xff80u);
  // NaNs stay NaNs, quiet, with their sign, even when only low payload
  // bits are set (truncation alone would give an infinity).
  EXPECT_EQ(truncToBf16Bits(0x7f800001u), 0x7fc0u);
  EXPECT_EQ(truncToBf16Bits(0xffc00000u), 0xffc0u);
  // Subnormals round like any other value.
  EXPECT_EQ(truncToBf16Bits(0x00008000u), 0x0000u); // tie to even 0
  EXPECT_EQ(truncToBf16Bits(0x00018000u), 0x0002u); // tie to even 2
}

TEST(Bf16ConversionTest, TheCompilerRtNameIsTheSameFunction) {
  for (uint32_t bits : {0x3f818000u, 0x7f800001u, 0x12345678u}) {
    float value;
    std::memcpy(&value, &bits, sizeof value);
    float ours = qtensorTruncSfBf2(value), builtin = __truncsfbf2(value);
    EXPECT_EQ(std::memcmp(&ours, &builtin, sizeof ours), 0) << bits;
  }
}

} // namespace

TEST(BufferCacheTest, LargeBuffersAreReusedSmallOnesAreNot) {
  qtensorTrimBufferCache();
  ASSERT_EQ(qtensorBufferCacheIdleBytes(), 0u);
  bool caching = qtensorBufferCacheLimitBytes() > 0;

  // 1 MiB + 1 byte rounds up to its size class, 1.25 MiB.
  void *large = _mlir_memref_to_llvm_alloc((size_t(1) << 20) + 1);
  ASSERT_NE(large, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(large) % 64, 0u);
  std::memset(large, 1, (size_t(1) << 20) + 1);
  _mlir_memref_to_llvm_free(large);
  EXPECT_EQ(qtensorBufferCacheIdleBytes(), caching ? (size_t(5) << 18) : 0);
  // Any size of the same class gets the same block back.
  void *again = _mlir_memref_to_llvm_alloc(size_t(5) << 18);
  if (caching) {
    EXPECT_EQ(again, large);
  }
  EXPECT_EQ(qtensorBufferCacheIdleBytes(), 0u);
  // A size of the next class takes a block of that class.
  void *bigger = _mlir_memref_to_llvm_alloc((size_t(5) << 18) + 1);
  _mlir_memref_to_llvm_free(again);
  _mlir_memref_to_llvm_free(bigger);
  EXPECT_EQ(qtensorBufferCacheIdleBytes(),
            caching ? (size_t(5) << 18) + (size_t(6) << 18) : 0);

  // Small buffers go back to the C library.
  void *small = _mlir_memref_to_llvm_alloc(4096);
  ASSERT_NE(small, nullptr);
  _mlir_memref_to_llvm_free(small);
  EXPECT_EQ(qtensorBufferCacheIdleBytes(),
            caching ? (size_t(5) << 18) + (size_t(6) << 18) : 0);

  EXPECT_EQ(qtensorTrimBufferCache(),
            caching ? (size_t(5) << 18) + (size_t(6) << 18) : 0);
  EXPECT_EQ(qtensorBufferCacheIdleBytes(), 0u);
  _mlir_memref_to_llvm_free(nullptr);
}

TEST(BufferCacheTest, IdleBuffersStayUnderTheLimit) {
  size_t limit = qtensorBufferCacheLimitBytes();
  if (limit == 0)
    GTEST_SKIP() << "nothing is cached under AddressSanitizer";
  qtensorTrimBufferCache();
  // Blocks of a quarter of the limit (never touched: address space only).
  size_t quarter = limit / 4;
  std::vector<void *> blocks;
  for (int i = 0; i < 5; ++i) {
    blocks.push_back(_mlir_memref_to_llvm_alloc(quarter));
    ASSERT_NE(blocks.back(), nullptr);
  }
  for (int i = 0; i < 4; ++i)
    _mlir_memref_to_llvm_free(blocks[i]);
  EXPECT_EQ(qtensorBufferCacheIdleBytes(), limit);
  // The fifth would exceed it: the idle four go back, the fifth stays.
  _mlir_memref_to_llvm_free(blocks[4]);
  EXPECT_EQ(qtensorBufferCacheIdleBytes(), quarter);
  qtensorTrimBufferCache();
}

TEST(BufferCacheTest, AlignedAllocation) {
  for (size_t alignment : {size_t(1), size_t(64), size_t(256), size_t(4096)}) {
    for (size_t bytes : {size_t(0), size_t(100), size_t(1) << 20}) {
      void *pointer = _mlir_memref_to_llvm_aligned_alloc(alignment, bytes);
      ASSERT_NE(pointer, nullptr) << alignment << " " << bytes;
      EXPECT_EQ(reinterpret_cast<uintptr_t>(pointer) % alignment, 0u);
      std::memset(pointer, 0, bytes);
      _mlir_memref_to_llvm_free(pointer);
    }
  }
  // Not a power of two: no buffer, as aligned_alloc answers.
  EXPECT_EQ(_mlir_memref_to_llvm_aligned_alloc(48, 1024), nullptr);
  // A size that overflows with its header: no buffer, no wrap-around.
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(~size_t(0) - 8), nullptr);
  qtensorTrimBufferCache();
}
