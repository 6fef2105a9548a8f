//===- QTensorAttrs.td - qtensor attributes ----------------*- tablegen -*-===//
//
// Attributes the compiler records on IR between its own passes: the GPU
// kernel chosen for a fused int8 linear.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_DIALECT_QTENSORATTRS_TD
#define QTENSOR_DIALECT_QTENSORATTRS_TD

include "qtensor/Dialect/QTensorDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def QTensor_GpuKernelFamily : I32EnumAttr<"GpuKernelFamily",
    "a family of GPU kernels for the fused int8 linear", [
      I32EnumAttrCase<"SplitK", 0, "splitk">,
      I32EnumAttrCase<"Tiled", 1, "tiled">,
      I32EnumAttrCase<"SharedTiled", 2, "shared_tiled">,
      I32EnumAttrCase<"Mma", 3, "mma">,
      I32EnumAttrCase<"MmaKSplit", 4, "mma_ksplit">
    ]> {
  let cppNamespace = "::mlir::qtensor";
  let genSpecializedAttr = 0;
}

/// A kernel parameter that a family may not use: 0, and then not printed.
class QTensor_KernelParameter<string desc>
    : DefaultValuedParameter<"int64_t", "0", desc>;

def QTensor_GpuKernelAttr : AttrDef<QTensor_Dialect, "GpuKernel"> {
  let mnemonic = "gpu_kernel";
  let summary = "a GPU kernel variant chosen for a fused int8 linear";
  let description = [{
    One kernel of a fused int8 linear and its tile parameters, as
    `qtensor-configure-gpu-kernels` chooses them and
    `qtensor-map-kernels-to-gpu` emits them (docs/gpu-pipeline.md). A fused
    kernel carries an ordered list of them in the discardable attribute
    `qtensor.gpu_kernels` on its `qtensor.epilogue` generic; each but the
    last has `max_rows` and runs the batches of at most that many rows that
    the ones before it left, the last runs the rest. With a dynamic batch
    size every variant is emitted behind an `scf.if` chain on the batch
    size.

    | family         | parameters                |
    |----------------|---------------------------|
    | `splitk`       | `vector_width`, `columns` |
    | `tiled`        | `vector_width`, `tile_m`  |
    | `shared_tiled` | `tile_m`, `tile_k`        |
    | `mma`          | `chunks`                  |
    | `mma_ksplit`   | `chunks`                  |

    - `vector_width`: int8 weights per load (1, 2, 4, 8 or 16), a divisor
      of K;
    - `columns`: output columns per warp of the split-K kernel (1-4);
    - `tile_m`: output rows per thread of the tiled kernels (1-16);
    - `tile_k`: weight bytes per row the shared-memory tiled kernel stages
      per step (64, 128 or 256), a divisor of K;
    - `chunks`: mma k chunks of 16 per k step (1, 2 or 4), 16 x `chunks`
      dividing K (64 x `chunks` for `mma_ksplit`, whose 4 warps split K).

    A parameter the family does not use is 0 and not printed.

    Example:

    ```mlir
    qtensor.gpu_kernels = [
      #qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 1>,
      #qtensor.gpu_kernel<mma_ksplit, max_rows = 32, chunks = 4>,
      #qtensor.gpu_kernel<mma, chunks = 4>]
    ```
  }];
  let parameters = (ins
    EnumParameter<QTensor_GpuKernelFamily>:$family,
    OptionalParameter<"std::optional<int64_t>",
                      "largest batch size the variant runs">:$max_rows,
    QTensor_KernelParameter<"int8 weights per load">:$vector_width,
    QTensor_KernelParameter<"output rows per thread">:$tile_m,
    QTensor_KernelParameter<"weight bytes staged per row and step">:$tile_k,
    QTensor_KernelParameter<"output columns per warp">:$columns,
    QTensor_KernelParameter<"mma k chunks of 16 per k step">:$chunks
  );
  let assemblyFormat = [{
    `<` $family `,` struct($max_rows, $vector_width, $tile_m, $tile_k,
                           $columns, $chunks) `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The ranges of the tile parameters that options also take.
    static constexpr int64_t kMaxTileM = 16;
    static constexpr int64_t kMaxColumns = 4;
  }];
}

#endif // QTENSOR_DIALECT_QTENSORATTRS_TD
