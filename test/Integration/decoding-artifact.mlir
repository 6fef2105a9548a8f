// Tests decoders as AOT artifacts: qtensor-compile writes the KV cache's
// states (their initial values in state.bin), the input bounds and the
// run-time check's messages into the manifest, and qtensor-exec --prompt,
// on the light runtime alone, gives the tokens and every call's logits of
// the eager PyTorch loop (check_generate.py, as Integration/decoding.mlir
// checks qtensor-generate), greedy and under --force. Single runs of a
// decoder start from a fresh cache. Bad input and tampered manifests are
// one error line, exit status 2 and no output file.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_decoder_models.py %t --only-scripted
// RUN: qtensor-compile %t/decoder_scripted.pt --input-shape 1xT:i64 --input-shape T:i64 --target cpu -o %t/decoder.qta | FileCheck %s --check-prefix=COMPILE
// COMPILE: wrote {{.*}}decoder.qta (cpu:x86-64-v3)
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/decoder.qta/manifest.json
// MANIFEST: "input_bounds": [
// MANIFEST-NEXT: 96,
// MANIFEST-NEXT: 32
// MANIFEST: "status_messages": [
// MANIFEST-NEXT: "a position is out of range of the state buffer 'layers.0.attention.kv_cache.k_cache' along dimension 2 (positions must be >= 0 and < 32)
// MANIFEST: "initial_state": "state.bin",
// MANIFEST-NEXT: "states": [
// MANIFEST: "name": "layers.1.attention.kv_cache.v_cache",

// RUN: qtensor-exec %t/decoder.qta --prompt 5,17,3,9 --steps 16 --dump-logits %t/int8.npy > %t/int8.txt
// RUN: %torch_python %S/check_generate.py %t/decoder_scripted.pt %t/int8.npy 5,17,3,9 16 int8 --tokens "$(sed -n 's/generated://p' %t/int8.txt)" | FileCheck %s --check-prefix=MATCH
// MATCH: 17 calls match (eager tokens:
// RUN: qtensor-exec %t/decoder.qta --prompt 1 --steps 5 --force 7,7,90,0,31 --dump-logits %t/forced.npy
// RUN: %torch_python %S/check_generate.py %t/decoder_scripted.pt %t/forced.npy 1 5 int8 --force 7,7,90,0,31 | FileCheck %s --check-prefix=FORCED
// FORCED: 6 calls match
// --bench N: N generations, each from a fresh state, print the same ids.
// RUN: qtensor-exec %t/decoder.qta --prompt 5,17,3,9 --steps 2 --bench 3 | FileCheck %s --check-prefix=BENCH
// BENCH: target: cpu (x86-64-v3)
// BENCH-NEXT: generated: {{[0-9]+ [0-9]+ [0-9]+$}}
// BENCH-NEXT: time to first token: {{[0-9.]+}} ms (prefill of 4 ids, median of 3 runs)
// BENCH-NEXT: decode: {{[0-9.]+}} tokens/s (2 steps, median {{[0-9.]+}} ms per token)

// A single run starts from the saved (zero) cache: the prefill's logits.
// RUN: %torch_python -c "import numpy as n; n.save('%t/idx.npy', n.array([[5, 17, 3, 9]])); n.save('%t/pos.npy', n.arange(4)); n.save('%t/pneg.npy', n.array([0, 1, 2, -1]))"
// RUN: qtensor-exec %t/decoder.qta --input %t/idx.npy --input %t/pos.npy --output %t/prefill.npy | FileCheck %s --check-prefix=SINGLE
// SINGLE: result 0: f32 [1, 4, 96]
// RUN: %torch_python -c "import numpy as n; a = n.load('%t/prefill.npy')[0, -1]; b = n.load('%t/int8.npy')[0]; print('same prefill logits' if (a == b).all() else 'differ')" | FileCheck %s --check-prefix=PREFILL
// PREFILL: same prefill logits

// Bad input: one error line, exit status 2, no output file.
// RUN: %expect_exit 2 qtensor-exec %t/decoder.qta --input %t/idx.npy --input %t/pneg.npy --output %t/bad.npy 2>&1 | FileCheck %s --check-prefix=BOUNDED
// BOUNDED: error: input 1 holds -1 at element 3, outside the model's range [0, 32) (positions of its state)
// RUN: %expect_exit 2 qtensor-exec %t/decoder.qta --prompt 5,17,3,9 --steps 29 --dump-logits %t/bad.npy 2>&1 | FileCheck %s --check-prefix=PAST
// PAST: error: the prompt (4 ids) and 29 steps need 33 positions; the model's cache holds 32
// RUN: %expect_exit 2 qtensor-exec %t/decoder.qta --prompt 5,96 --dump-logits %t/bad.npy 2>&1 | FileCheck %s --check-prefix=VOCAB
// VOCAB: error: token id 96 is outside the vocabulary [0, 96)
// RUN: %expect_exit 2 qtensor-exec %t/decoder.qta --prompt "" 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: --prompt is empty: give at least one token id
// RUN: %expect_exit 2 qtensor-exec %t/decoder.qta --prompt 1 --steps 2 --force 3 2>&1 | FileCheck %s --check-prefix=FORCECOUNT
// FORCECOUNT: error: --force gives 1 ids for 2 decode steps; give one per step
// RUN: %expect_exit 2 qtensor-exec %t/decoder.qta --prompt 1 --steps x 2>&1 | FileCheck %s --check-prefix=STEPS
// STEPS: error: --steps 'x' is not a count from 0 to 1000000
// RUN: %expect_exit 2 qtensor-exec %t/decoder.qta --prompt 1 --input %t/idx.npy 2>&1 | FileCheck %s --check-prefix=MIXED
// MIXED: error: --prompt generates from token ids: --input, --output and --rotate belong to single runs
// RUN: %expect_exit 2 qtensor-exec %t/decoder.qta --input %t/idx.npy --steps 3 2>&1 | FileCheck %s --check-prefix=NOPROMPT
// NOPROMPT: error: --steps, --force and --dump-logits need --prompt
// RUN: not test -e %t/bad.npy

// Tampered manifests: each is one error that names what is wrong.
// RUN: cp -r %t/decoder.qta %t/nostatus.qta && sed -i 's/"rank": 0/"rank": 1/' %t/nostatus.qta/manifest.json
// RUN: %expect_exit 2 qtensor-exec %t/nostatus.qta --prompt 1 2>&1 | FileCheck %s --check-prefix=STATUS
// STATUS: error: malformed artifact manifest '{{.*}}nostatus.qta/manifest.json': a model with 'status_messages' must end its 'outputs' with an int32 status of rank 0
// RUN: cp -r %t/decoder.qta %t/shortstate.qta && truncate -s 100 %t/shortstate.qta/state.bin
// RUN: %expect_exit 2 qtensor-exec %t/shortstate.qta --prompt 1 2>&1 | FileCheck %s --check-prefix=SHORT
// SHORT: error: malformed artifact manifest '{{.*}}': state 'layers.0.attention.kv_cache.k_cache' has an invalid offset or size in '{{.*}}shortstate.qta/state.bin'
// RUN: cp -r %t/decoder.qta %t/bounds.qta && sed -i 's/^    96,$/    -96,/' %t/bounds.qta/manifest.json
// RUN: %expect_exit 2 qtensor-exec %t/bounds.qta --prompt 1 2>&1 | FileCheck %s --check-prefix=BOUNDS
// BOUNDS: error: malformed artifact manifest '{{.*}}': 'input_bounds' holds an invalid bound
