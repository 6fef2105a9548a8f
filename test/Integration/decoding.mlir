// Tests greedy decoding with a KV cache: qtensor-generate on the scripted
// gpt-fast-style decoder of test/Importer/make_decoder_models.py (GQA,
// RoPE and a causal mask indexed by input_pos, k/v caches written with
// index_put_ and index_copy_) gives the tokens and, at every call, the
// last-position logits of the same loop run eagerly by PyTorch from the
// saved (zero) caches: with --quantize int8 against the seed's module swap,
// with none against the float model (rtol 1e-4, atol 1e-5 * max|ref|),
// and under --force (teacher forcing). Bad input is one error line, exit
// status 2 and no output file.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_decoder_models.py %t

// RUN: qtensor-generate %t/decoder_scripted.pt --prompt 5,17,3,9 --steps 16 --target cpu --cache-dir %t/cache --dump-logits %t/int8.npy > %t/int8.txt
// RUN: %torch_python %S/check_generate.py %t/decoder_scripted.pt %t/int8.npy 5,17,3,9 16 int8 --tokens "$(sed 's/generated://' %t/int8.txt)" | FileCheck %s --check-prefix=MATCH
// RUN: qtensor-generate %t/decoder_scripted.pt --prompt 5,17,3,9 --steps 16 --quantize none --target cpu --cache-dir %t/cache --dump-logits %t/none.npy > %t/none.txt
// RUN: %torch_python %S/check_generate.py %t/decoder_scripted.pt %t/none.npy 5,17,3,9 16 none --tokens "$(sed 's/generated://' %t/none.txt)" | FileCheck %s --check-prefix=MATCH
// MATCH: 17 calls match (eager tokens:
// RUN: qtensor-generate %t/decoder_scripted.pt --prompt 1 --steps 5 --force 7,7,90,0,31 --target cpu --cache-dir %t/cache --dump-logits %t/forced.npy > %t/forced.txt
// RUN: %torch_python %S/check_generate.py %t/decoder_scripted.pt %t/forced.npy 1 5 int8 --force 7,7,90,0,31 | FileCheck %s --check-prefix=FORCED
// FORCED: 6 calls match
// One line of N + 1 new ids; --bench adds the timings.
// RUN: qtensor-generate %t/decoder_scripted.pt --prompt 5,17,3,9 --steps 3 --bench --target cpu --cache-dir %t/cache | FileCheck %s --check-prefix=BENCH
// BENCH: generated: {{[0-9]+ [0-9]+ [0-9]+ [0-9]+$}}
// BENCH-NEXT: time to first token: {{[0-9.]+}} ms (prefill of 4 ids)
// BENCH-NEXT: decode: {{[0-9.]+}} tokens/s (3 steps, median {{[0-9.]+}} ms per token)
// --profile times each op of the decode calls: per call, each category,
// then the slowest entries; the tokens and logits stay those of eager
// PyTorch.
// RUN: qtensor-generate %t/decoder_scripted.pt --prompt 5,17,3,9 --steps 3 --profile --target cpu --dump-logits %t/profiled.npy > %t/profiled.txt
// RUN: FileCheck %s --check-prefix=PROFILE < %t/profiled.txt
// RUN: %torch_python %S/check_generate.py %t/decoder_scripted.pt %t/profiled.npy 5,17,3,9 3 int8 --tokens "$(sed -n 's/generated://p' %t/profiled.txt)" | FileCheck %s --check-prefix=PROFILED
// PROFILE: generated: {{[0-9]+ [0-9]+ [0-9]+ [0-9]+$}}
// PROFILE-NEXT: op profile, per call (3 calls): {{[0-9.]+}} ms in profiled ops
// PROFILE-NEXT: {{^  attention +[0-9.]+ ms +[0-9.]+%$}}
// PROFILE-NEXT: {{^  linear +[0-9.]+ ms +[0-9.]+%$}}
// PROFILE-NEXT: {{^  other +[0-9.]+ ms +[0-9.]+%$}}
// PROFILE-NEXT: the 10 slowest entries:
// PROFILE: {{ linear +layers\.[01]\.}}
// PROFILED: 4 calls match
// The profile is the CPU JIT's: with a GPU target, one error.
// RUN: %expect_exit 2 qtensor-generate %t/decoder_scripted.pt --prompt 5 --steps 1 --profile --target cuda 2>&1 | FileCheck %s --check-prefix=PROFILEGPU
// PROFILEGPU: error: the op profile is for the CPU: compile with target cpu

// RUN: %expect_exit 2 qtensor-generate %t/decoder_scripted.pt --prompt 5,17,3,9 --steps 29 --dump-logits %t/bad.npy --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=PAST
// PAST: error: the prompt (4 ids) and 29 steps need 33 positions; the model's cache holds 32
// RUN: %expect_exit 2 qtensor-generate %t/decoder_scripted.pt --prompt 5,96 --steps 2 --dump-logits %t/bad.npy --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=VOCAB
// VOCAB: error: token id 96 is outside the vocabulary [0, 96)
// RUN: %expect_exit 2 qtensor-generate %t/decoder_scripted.pt --prompt 5 --steps 2 --force 1,-3 --dump-logits %t/bad.npy --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: error: token id -3 is outside the vocabulary [0, 96)
// RUN: %expect_exit 2 qtensor-generate %t/decoder_scripted.pt --prompt 5 --steps 2 --force 1 --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=FORCECOUNT
// FORCECOUNT: error: --force gives 1 ids for 2 decode steps; give one per step
// RUN: %expect_exit 2 qtensor-generate %t/decoder_scripted.pt --prompt "" --steps 2 --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: --prompt is empty: give at least one token id
// RUN: %expect_exit 2 qtensor-generate %t/decoder_scripted.pt --prompt 1,x --steps 2 --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=NOTANID
// NOTANID: error: --prompt: 'x' is not a token id
// A traced decoder has its token count fixed.
// RUN: %expect_exit 2 qtensor-generate %t/decoder_traced.pt --prompt 5,17,3,9 --steps 2 --dump-logits %t/bad.npy 2>&1 | FileCheck %s --check-prefix=TRACED
// TRACED: error: {{.*}}the model was traced, which fixes its shapes
// RUN: not test -e %t/bad.npy

// Positions through qtensor-run: bounded inputs are checked before the
// call, computed positions by the compiled code (state_shifted writes at
// next[input_pos] = input_pos + 1); either way one error, no output file.
// RUN: %torch_python -c "import numpy as n; n.save('%t/x.npy', n.ones((1, 4), n.float32)); n.save('%t/p6.npy', n.array([6])); n.save('%t/p7.npy', n.array([7])); n.save('%t/idx.npy', n.array([[1]])); n.save('%t/pneg.npy', n.array([-1]))"
// RUN: qtensor-run %t/state_shifted.pt --input %t/x.npy --input %t/p6.npy --quantize none --compare --target cpu | FileCheck %s --check-prefix=SHIFTED
// SHIFTED: allclose(compiled, float model) = True
// RUN: %expect_exit 2 qtensor-run %t/state_shifted.pt --input %t/x.npy --input %t/p7.npy --quantize none --target cpu --output %t/bad.npy 2>&1 | FileCheck %s --check-prefix=COMPUTED
// COMPUTED: error: a position is out of range of the state buffer 'buf' along dimension 0 (positions must be >= 0 and < 8) at {{.*}}make_decoder_models.py:
// RUN: %expect_exit 2 qtensor-run %t/decoder_scripted.pt --input %t/idx.npy --input %t/pneg.npy --target cpu --output %t/bad.npy 2>&1 | FileCheck %s --check-prefix=BOUNDED
// BOUNDED: error: input 1 holds -1 at element 0, outside the model's range [0, 32) (positions of its state)
// RUN: not test -e %t/bad.npy

