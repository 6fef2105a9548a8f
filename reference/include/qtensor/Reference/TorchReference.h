//===- TorchReference.h - the oracles qtensor is checked against -*- C++
//-*-===//
//
// What qtensor's results are checked against, in LibTorch (docs/reference.md):
// each quantization scheme's reference formula as PyTorch computes it, and
// the model that formula implies (for int8, the seed's module swap). Used by
// the tests, `qtensor-run --compare` and the bench; not installed: it is a
// test oracle, not part of the runtime API.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_REFERENCE_TORCHREFERENCE_H
#define QTENSOR_REFERENCE_TORCHREFERENCE_H

#include "qtensor/Runtime/Runtime.h"

#include <ATen/Tensor.h>
#include <torch/csrc/jit/api/module.h>

#include <string>
#include <utility>
#include <vector>

namespace qtensor {
namespace reference {

/// The seed's int8_symmetric_quantize: (int8 data [N, K], scale [N, 1]).
std::pair<at::Tensor, at::Tensor> seedQuantize(const at::Tensor &weight);

/// The seed's module swap, generalized to op uses as the tensor subclass
/// sees them: a frozen copy of `module` in which every linear, matmul, mm
/// and addmm use of a weight that `model` quantized (its "<name>.data"
/// parameters) reads the seed's data times scale instead. Other uses of the
/// weight stay float. The seed applies the scale after its matmul and this
/// reference before it; the difference is float rounding.
torch::jit::Module moduleSwap(const torch::jit::Module &module,
                              const Model &model);

/// The module whose results `model`, compiled from `module` with `scheme`,
/// must match (docs/dialect.md's tolerance): `module` itself for `none`, the
/// module swap for `int8`. Sets `problem` and returns `module` for a scheme
/// that has no oracle yet.
torch::jit::Module oracleFor(const QuantScheme &scheme,
                             const torch::jit::Module &module,
                             const Model &model, std::string &problem);

/// Runs a TorchScript module on `inputs` and returns its results (a tensor,
/// or each tensor of a tuple).
std::vector<at::Tensor> runTorch(torch::jit::Module &module,
                                 const std::vector<at::Tensor> &inputs);

/// allclose with rtol 1e-4 and atol 1e-5 * max|reference|, the tolerance of
/// docs/dialect.md, and the errors and SQNR.
struct Agreement {
  bool close;
  double maxAbsError;
  double maxRelError;
  double sqnrDb;
};
Agreement compare(const at::Tensor &actual, const at::Tensor &reference);

} // namespace reference
} // namespace qtensor

#endif // QTENSOR_REFERENCE_TORCHREFERENCE_H
