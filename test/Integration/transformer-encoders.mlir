// Tests that torch's own transformer modules (nn.TransformerEncoder on its
// fast and slow paths, pre-norm, scripted, nn.MultiheadAttention with and
// without weights; test/Importer/make_transformer_models.py) import, compile
// for the CPU and match eager PyTorch on the same inputs: with --quantize
// none against the float model, with --quantize int8 against the module
// swap (every linear weight, the fused encoder and attention ops'
// projections included, replaced by the seed's data times scale), with
// rtol 1e-4 and atol 1e-5 * max|reference|.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_transformer_models.py %t

// RUN: qtensor-run %t/encoder_fast.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_fast.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_slow.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_slow.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_prenorm.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_prenorm.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_scripted.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_scripted.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_prenorm_scripted.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/encoder_prenorm_scripted.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/mha.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/mha.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/mha_weights.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/mha_weights.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// FLOAT: allclose(compiled, float model) = True
// INT8: allclose(compiled, module swap) = True
