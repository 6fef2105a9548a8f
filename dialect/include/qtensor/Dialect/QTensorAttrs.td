//===- QTensorAttrs.td - qtensor attributes ----------------*- tablegen -*-===//
//
// Attributes the compiler records on IR between its own passes: the kernel
// configuration steps' decisions, which the kernel emitters follow (the GPU
// kernels chosen for a fused linear, the tiling of a CPU kernel).
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

def QTensor_CpuKernelShape : I32EnumAttr<"CpuKernelShape",
    "the loop nest of a CPU kernel", [
      I32EnumAttrCase<"Gemv", 0, "gemv">,
      I32EnumAttrCase<"SmallM", 1, "small_m">,
      I32EnumAttrCase<"RegisterTiled", 2, "register_tiled">
    ]> {
  let cppNamespace = "::mlir::qtensor";
  let genSpecializedAttr = 0;
}

def QTensor_CpuKernelAttr : AttrDef<QTensor_Dialect, "CpuKernel"> {
  let mnemonic = "cpu_kernel";
  let summary = "how the CPU code generator tiles one kernel";
  let description = [{
    The decision of `qtensor-configure-cpu-kernels` for one kernel, recorded
    as `qtensor.cpu_kernel` on the 2-D elementwise `linalg.generic` that
    ends it (a fused kernel's `qtensor.epilogue`, or the scale multiply or
    bias add of an unfused one). `qtensor-tile-and-vectorize` follows it
    and removes it.

    The shape:

    - `gemv`: a batch of one row. Tiles of 1 x `tile_n`; their contractions
      take the GEMV form (`tile_k` partial sums per column, added after the
      K loop) when K is a multiple of `tile_k`.
    - `small_m`: a static batch smaller than a register tile; one tile of
      all rows by `tile_n` columns.
    - `register_tiled`: `tile_m` x `tile_n` register tiles. With
      `panel_rows`, the rows go in blocks of that many, and each column
      tile of a block converts its int8 weights once into a float panel
      `[K, tile_n]` that the block's register tiles share. The rows after
      the last full tile go `remainder_tile_m` at a time, then one at a
      time (GEMVs).

    Every contraction in a tile walks K in steps of `tile_k`. With
    `column_chunk`, the output columns are first split into an
    `scf.forall` of chunks of that many columns (parallel tasks).

    Example:

    ```mlir
    #qtensor.cpu_kernel<register_tiled, tile_m = 16, tile_n = 16, tile_k = 16,
                        panel_rows = 256, remainder_tile_m = 4>
    ```
  }];
  let parameters = (ins
    EnumParameter<QTensor_CpuKernelShape>:$shape,
    AttrParameter<"int64_t", "rows of a register tile">:$tile_m,
    AttrParameter<"int64_t", "columns of a register tile">:$tile_n,
    AttrParameter<"int64_t", "K step in a tile; lanes of the GEMV form">
      :$tile_k,
    DefaultValuedParameter<"int64_t", "0",
                           "rows per block sharing weight panels; 0: none">
      :$panel_rows,
    DefaultValuedParameter<"int64_t", "1",
                           "rows per tile after the last full tile">
      :$remainder_tile_m,
    DefaultValuedParameter<"int64_t", "0",
                           "columns per parallel task; 0: sequential">
      :$column_chunk
  );
  let assemblyFormat = [{
    `<` $shape `,` struct($tile_m, $tile_n, $tile_k, $panel_rows,
                          $remainder_tile_m, $column_chunk) `>`
  }];
  let genVerifyDecl = 1;
}

#endif // QTENSOR_DIALECT_QTENSORATTRS_TD
