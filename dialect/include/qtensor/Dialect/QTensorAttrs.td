//===- QTensorAttrs.td - qtensor attributes ----------------*- tablegen -*-===//

#ifndef QTENSOR_DIALECT_QTENSORATTRS_TD
#define QTENSOR_DIALECT_QTENSORATTRS_TD

include "qtensor/Dialect/QTensorDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

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
