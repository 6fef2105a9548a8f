//===- Bf16Conversion.cpp - the f32 -> bf16 rounding LLVM calls -----------===//
//
// X86 has no bf16 arithmetic short of AVX512-BF16. The CPU pipeline expands
// the bf16 conversions it emits into integer code, but LLVM's own
// optimizations can still form bf16 values that the X86 backend legalizes
// through f32 (a select of bf16 vectors in a partial tile, for instance),
// rounding back with a call to compiler-rt's __truncsfbf2. Neither the JIT
// nor an artifact's model.so links compiler-rt: this is that function, for
// both (the JIT maps the name to it; model.so finds it in this library).
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/EntryPoint.h"

#include <cstdint>
#include <cstring>

extern "C" float qtensorTruncSfBf2(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  uint32_t rounded;
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    rounded = (bits >> 16) | 0x40u; // a quiet NaN, sign and payload kept
  else
    rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16; // nearest even
  // The bf16 travels in the low 16 bits of the return register (xmm0), as
  // a float-returning function leaves it.
  float result;
  std::memcpy(&result, &rounded, sizeof result);
  return result;
}

extern "C" float __truncsfbf2(float value) { return qtensorTruncSfBf2(value); }
