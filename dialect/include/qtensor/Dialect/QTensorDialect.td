//===- QTensorDialect.td - qtensor dialect definition ------*- tablegen -*-===//
//
// The qtensor dialect: quantized tensors whose integer data and float scale
// are explicit operands, and the ops that linear layers decompose into.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_DIALECT_QTENSORDIALECT_TD
#define QTENSOR_DIALECT_QTENSORDIALECT_TD

include "mlir/IR/OpBase.td"

def QTensor_Dialect : Dialect {
  let name = "qtensor";
  let cppNamespace = "::mlir::qtensor";
  let summary = "Quantized tensors with explicit data and scale";
  let description = [{
    The `qtensor` dialect models a weight-only quantized tensor the way a
    PyTorch tensor subclass such as `Int8SymmetricTensor` does: a value of type
    `!qtensor.tensor` stands for a float tensor of a given logical shape that
    is stored as integer data plus a float scale. The data and the scale are
    ordinary builtin tensors that `qtensor.pack` combines and `qtensor.data` /
    `qtensor.scale` take apart again, so every later stage sees them as plain
    operands.

    `qtensor.linear` accepts a float or a quantized weight (type-based
    dispatch, like `__torch_dispatch__`). With a quantized weight it
    decomposes into the ops the tensor subclass receives from PyTorch:
    `qtensor.transpose` (`aten.t`), `qtensor.mixed_mm` (`aten.mm` on the int8
    values converted to the float type) and `qtensor.scale_mul` (the scale
    applied once after the reduction).
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// Defined beside the type storage classes, which must be complete.
    void registerTypes();
    /// Likewise for the attribute storage classes.
    void registerAttributes();
  }];
}

class QTensor_Op<string mnemonic, list<Trait> traits = []>
    : Op<QTensor_Dialect, mnemonic, traits>;

#endif // QTENSOR_DIALECT_QTENSORDIALECT_TD
