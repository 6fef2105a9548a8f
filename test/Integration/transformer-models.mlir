// Tests that GPT- and Llama-style models (test/Importer/make_transformer_models.py),
// traced and scripted, import, compile for the CPU and match eager PyTorch
// on the same inputs: with --quantize none against the float model, with
// --quantize int8 against the module swap (every linear weight, GPT's
// lm_head tied to the token embedding included, replaced by the seed's data
// times scale; the embedding table itself stays float), with rtol 1e-4 and
// atol 1e-5 * max|reference|. transformer-encoders.mlir checks torch's own
// encoder and attention modules, transformer-models-emulated.mlir the
// emulated GPU pipeline.

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_transformer_models.py %t

// RUN: qtensor-run %t/gpt_traced.pt --input-shape 1x16:i64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/gpt_traced.pt --input-shape 1x16:i64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/gpt_scripted.pt --input-shape 1x16:i64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/gpt_scripted.pt --input-shape 1x16:i64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/llama_traced.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/llama_traced.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// RUN: qtensor-run %t/llama_scripted.pt --input-shape 1x16x64 --quantize none --compare --target cpu | FileCheck %s --check-prefix=FLOAT --implicit-check-not='= False'
// RUN: qtensor-run %t/llama_scripted.pt --input-shape 1x16x64 --quantize int8 --compare --target cpu | FileCheck %s --check-prefix=INT8 --implicit-check-not='= False'
// FLOAT: allclose(compiled, float model) = True
// INT8: allclose(compiled, module swap) = True
