//===- Passes.td - qtensor passes --------------------------*- tablegen -*-===//

#ifndef QTENSOR_PASSES_PASSES_TD
#define QTENSOR_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

def QTensorQuantizeWeights : Pass<"qtensor-quantize-weights", "ModuleOp"> {
  let summary = "Quantize constant weights to int8 at compile time (stage 0 -> 1)";
  let description = [{
    The compiler's `child.weight = Int8SymmetricTensor.from_float(child.weight)`,
    applied to op uses of a weight rather than to module types:

    - a constant float weight `[N, K]` of `qtensor.linear` becomes a
      `!qtensor.tensor<NxKxi8, T, per_row>` built by `qtensor.pack` from two
      new constants, the int8 data `[N, K]` and the scale `[N, 1]`;
    - a constant float right-hand operand `[K, N]` of a `linalg.matmul` that
      accumulates into zeros (what freezing makes of `x @ w.t()`) is
      quantized as its transpose `[N, K]`, one scale per output channel, and
      the matmul becomes `qtensor.linear(x, q)`.

    The numbers are bit-identical to the reference `int8_symmetric_quantize`
    run by PyTorch on the CPU (docs/dialect.md, "Numerics contract"). A weight
    used several times is quantized once. A NaN or infinity in a weight is an
    error that names the weight and the element.

    A weight's name is the key of its `dense_resource` (as the importer emits
    weights), else the name of its constant's location (`loc("fc1.weight")`),
    else `constant_<n>` in order of appearance. The data and scale constants
    are `dense_resource` blobs named `<weight>.data` and `<weight>.scale`.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"int8\"",
           "The quantization scheme (qtensor/Support/QuantScheme.h): none, "
           "int8, int4[:gG] or w8a8; only none and int8 are implemented, "
           "the others are an error">,
    ListOption<"ops", "ops", "std::string",
               "Op uses whose constant weight is quantized: 'linear' "
               "(qtensor.linear weights) and/or 'matmul' (constant right-hand "
               "operands of linalg.matmul); default both">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Leave weights with fewer elements than this in float">,
    ListOption<"exclude", "exclude", "std::string",
               "Names of weights to leave in float">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::qtensor::QTensorDialect"
  ];
}

def QTensorDecomposeLinear : Pass<"qtensor-decompose-linear"> {
  let summary = "Rewrite quantized linears into transpose + mixed_mm + scale_mul (stage 1 -> 2)";
  let description = [{
    Rewrites `qtensor.linear(x, q[, b])` with a quantized weight into the ops
    the reference tensor subclass receives from PyTorch:

    ```
    x2  = x flattened to [M, K]            (tensor.collapse_shape / expand_shape)
    t   = qtensor.transpose q              ([K, N], per_column: aten.t)
    acc = qtensor.mixed_mm x2, data(t)      (aten.mm on int8 converted to float)
    y   = qtensor.scale_mul acc, scale(t)  (the scale after the reduction)
    y   = y + b                            (linalg.generic, when there is a bias)
    y reshaped back to x's leading dimensions, then N
    ```

    Linears with a float weight are left alone; `qtensor-lower-to-linalg`
    lowers them on the float path.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def QTensorFuseMixedMatmul : Pass<"qtensor-fuse-mixed-matmul"> {
  let summary = "Fuse transpose + mixed_mm + scale_mul (+ bias, + relu) into one op (stage 2 -> 3)";
  let description = [{
    Matches `qtensor.scale_mul(qtensor.mixed_mm(x, data(transpose(q))),
    scale(transpose(q)))`, optionally followed by the bias add that
    `qtensor-decompose-linear` emits and by a relu (a `linalg.generic`
    computing `max(v, 0)`, possibly behind the reshape back to the input's
    leading dimensions), and replaces it with one
    `qtensor.fused_mixed_matmul`. The fused op reads the weight data in its
    original `[N, K]` layout (the transpose becomes indexing), converts int8
    to float inside the reduction and applies scale, bias and relu once per
    output element after it.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def QTensorPackWeights : Pass<"qtensor-pack-weights", "ModuleOp"> {
  let summary = "Store the constant int8 weights of fused kernels as [K, N]";
  let description = [{
    Compile-time packing: the CPU kernel of `qtensor.fused_mixed_matmul`
    reads, for each step of the reduction, one weight row of N contiguous
    values. For every fused op whose `weight_data` is a constant `[N, K]`,
    this pass creates the transposed constant `[K, N]` (once per weight) and
    sets `weight_transposed` on the op. The new constant carries
    `qtensor.parameter` (the weight's data name, e.g. `fc.weight.data`) and
    `qtensor.layout = "transposed"`, which `qtensor-extract-parameters`
    records, so tools can show the weight in the seed's `[N, K]` layout.
  }];
}

def QTensorExtractParameters : Pass<"qtensor-extract-parameters", "ModuleOp"> {
  let summary = "Move weight-sized constants out of the code into entry-point parameters";
  let description = [{
    Every constant with at least `min-elements` elements used in a public
    function (quantized data, scales, biases, float weights) becomes a new
    trailing argument of that function, and its value moves to the module's
    parameter table, the `qtensor.parameters` attribute: an array of
    dictionaries, one per parameter in argument order, with `name`, `type`,
    `layout` (`row_major`) and `value` (the constant). Each new argument
    carries `qtensor.parameter = "<name>"`.

    A parameter is named after its constant: its `qtensor.parameter`
    attribute, else the `dense_resource` key (for quantized weights
    `<weight>.data` and `<weight>.scale`), else the location name (with
    `.data` / `.scale` appended when the constant feeds a `qtensor.pack`),
    else `param<n>`. The layout is the constant's `qtensor.layout` attribute
    (`transposed` after `qtensor-pack-weights`), else `row_major`. Constants shared by several functions become one parameter
    per function.
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"2",
           "Constants with fewer elements stay in the code">
  ];
}

def QTensorLowerToLinalg : Pass<"qtensor-lower-to-linalg", "ModuleOp"> {
  let summary = "Lower every qtensor op and type to linalg, tensor, arith and math";
  let description = [{
    Converts each `!qtensor.tensor` value into its two tensors, data and scale
    (a 1:N type conversion, the compiler's `__tensor_flatten__`), through
    function signatures, calls and returns, and lowers the ops:

    - `pack` / `data` / `scale` disappear into the data and scale values;
    - `transpose` becomes a `linalg.transpose` of the data and a reshape of
      the scale (`[N, 1]` <-> `[1, N]`);
    - `mixed_mm`, `scale_mul`, `dequantize` and the float path of `linear`
      become `linalg.generic`s (int8 converted with `arith.sitofp` inside the
      reduction); a quantized `linear` is first decomposed as by
      `qtensor-decompose-linear`, and one that has no decomposed form (a
      scale varying along K, such as `per_group`) is computed from its
      dequantized weight;
    - `fused_mixed_matmul` becomes a contraction `linalg.generic` that reads the
      weight through the `(m, n, k) -> (n, k)` map, followed by one
      elementwise epilogue (scale, bias, relu), marked `qtensor.epilogue` for
      the tiling that fuses the two;
    - `quantize` (a non-constant weight) becomes the reference arithmetic at
      run time: a row-wise `max |w|` reduction, `amax / 127.5`, the
      reciprocal, `math.roundeven`, clamp, and the same definition for rows
      whose reciprocal is not finite (also used for rows holding NaN or an
      infinity, where the reference is undefined).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def QTensorConfigureCpuKernels
    : Pass<"qtensor-configure-cpu-kernels", "::mlir::func::FuncOp"> {
  let summary = "Choose the shape and tile sizes of each CPU kernel";
  let description = [{
    Records on every kernel root of the function (a 2-D elementwise
    `linalg.generic` directly in its body: the epilogue of a fused kernel,
    or the scale multiply / bias add of an unfused one) how
    `qtensor-tile-and-vectorize` tiles it, as
    `qtensor.cpu_kernel = #qtensor.cpu_kernel<...>`:

    - the shape: `gemv` for a static batch of one row, `small_m` for a
      static batch smaller than `tile-m` (one tile of all its rows),
      `register_tiled` otherwise (a dynamic batch included);
    - `tile_m`, `tile_n`, `tile_k`: the register tile and the K step (also
      the lanes of the GEMV form of one-row tiles), `tile-m` and `tile-n`
      clamped to static sizes; a `gemv` kernel's columns per tile are
      `gemv-tile-n` (when set) instead of `tile-n`;
    - `panel_rows` (register_tiled fused kernels whose weights are `[N, K]`,
      with a static N, when a float panel `[K, tile-n]` takes at most
      `max-panel-kib`): the rows per block whose register tiles share converted
      weight panels (256, or M when smaller);
    - `remainder_tile_m`: 4 when `tile-m` > 4, so the rows after the last
      full tile go 4 at a time before the one-row GEMVs;
    - `column_chunk` (`parallel-chunk` > 0): the largest multiple of
      `tile-n` up to `parallel-chunk` that divides N into at least two
      parallel tasks.

    Kernels with an empty dimension get no attribute. Every other linalg op
    directly in the function on static tensors (elementwise ops of another
    rank, reductions, fills, transposes, batch matmuls; weight conversions
    excepted) gets `qtensor.vector_tiles`, one tile size per loop: for a
    contraction 1 per batch loop and `tile-m` x `tile-n` x `tile-k` on its
    innermost M, N and K loops; otherwise 1 per loop but the innermost one
    longer than 1 (or dynamic), which gets 16 lanes, and for a transpose
    also the loop of its input's innermost dimension (16 x 16 blocks);
    clamped to the loop ranges. With `parallel-chunk`, such an op of at
    least 16384 iterations (dynamic sizes counted as 1) and no i1 operand
    also gets `qtensor.parallel_tiles`: its outermost parallel loop of more
    than one iteration that holds no lanes is cut into chunks (a quarter of
    a static range, 16 iterations of a dynamic one) that threads share. The CPU
    pipeline runs this pass right before `qtensor-tile-and-vectorize`, with
    the same options.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"4",
           "Rows of the output per register tile">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"16",
           "Columns of the output per register tile">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"16",
           "Reduction step inside a tile">,
    Option<"gemvTileN", "gemv-tile-n", "int64_t", /*default=*/"0",
           "Columns per tile of a one-row (gemv) kernel; 0: tile-n">,
    Option<"maxPanelKiB", "max-panel-kib", "int64_t", /*default=*/"256",
           "Largest float weight panel [K, tile-n] register tiles share">,
    Option<"parallelChunk", "parallel-chunk", "int64_t", /*default=*/"0",
           "At most this many columns per parallel task; 0: sequential">
  ];
  let dependentDialects = ["::mlir::qtensor::QTensorDialect"];
}

def QTensorTileAndVectorize
    : Pass<"qtensor-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg kernels for registers, fuse producers, vectorize the tiles";
  let description = [{
    Tiles every kernel as the `qtensor.cpu_kernel` attribute of its root
    says (`qtensor-configure-cpu-kernels`), and removes the attribute; a
    root without one is configured here from this pass's options, as that
    pass would. What follows describes the kernels those decisions give.

    For every 2-D elementwise `linalg.generic` (the epilogue of a fused
    kernel, or the scale multiply / bias add of an unfused one), tiles its
    `[M, N]` space by `tile-m` x `tile-n` and fuses into each tile the
    producers that compute the same output elements: the contraction, its
    zero fill and elementwise ops in between. Producers read across a
    reduction (the previous layer, the input matrix) are not pulled in, so
    nothing is recomputed. The contraction in each tile is then tiled along
    `K` by `tile-k` (a sequential loop: the reduction order is fixed), and
    every op in a tile is vectorized, with masks where the dynamic batch
    dimension leaves a partial tile.

    One-row tiles (a batch of one, the last rows of a dynamic batch) are
    GEMVs and take another form when K is a multiple of `tile-k`: each step
    multiplies `tile-k` contiguous weights per column (int8 converted in the
    loop) by the same piece of the input row into `tile-k` partial sums per
    column, vector lanes along K, so no weight tile is transposed; the
    partial sums are added in lane order after the K loop.

    Fused kernels whose batch can fill a register tile go in blocks of 256
    rows, then `tile-n` columns; each column tile of a block with at least
    `tile-m` rows converts its int8 weights once into a float panel
    `[K, tile-n]` that the block's register tiles read row by row (no
    conversion or transpose per tile). Input rows whose stride is a multiple
    of 2 KiB are copied once per call into rows 64 bytes longer, so that the
    rows of a tile do not share one L1 cache set.

    The other ops are first split into an `scf.forall` of chunks as their
    `qtensor.parallel_tiles` says, then tiled as their
    `qtensor.vector_tiles` says (both decided here when absent), partial
    tiles peeled, and each tile vectorized; ops on i1 tensors stay scalar
    (a memref of i1 holds bytes, a vector of i1 loads bits). A recorded
    size list that does not give one positive size per loop, or chunks that
    are negative, split a reduction loop or come without `parallel-chunk`,
    is an error.

    With `parallel-chunk`, the kernels' output columns are first split into
    chunks by an `scf.forall` (the CPU pipeline maps both kinds of forall
    to OpenMP threads). Every output element is still computed by one task
    in the same order, so results do not depend on the number of threads.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"4",
           "Rows of the output per tile">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"16",
           "Columns of the output per tile">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"16",
           "Reduction step inside a tile">,
    Option<"gemvTileN", "gemv-tile-n", "int64_t", /*default=*/"0",
           "Columns per tile of a one-row (gemv) kernel; 0: tile-n">,
    Option<"maxPanelKiB", "max-panel-kib", "int64_t", /*default=*/"256",
           "Largest float weight panel [K, tile-n] register tiles share">,
    Option<"vectorize", "vectorize", "bool", /*default=*/"true",
           "Vectorize the tiled ops (off: scalar loops)">,
    Option<"parallelChunk", "parallel-chunk", "int64_t", /*default=*/"0",
           "Columns per parallel task: when > 0, the N dimension is first "
           "split into an scf.forall of chunks of this many columns (a "
           "multiple of tile-n that divides N, at most this); 0: sequential">
  ];
  let dependentDialects = [
    "::mlir::math::MathDialect",
    "::mlir::qtensor::QTensorDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def QTensorHoistAccumulators
    : Pass<"qtensor-hoist-accumulators", "::mlir::func::FuncOp"> {
  let summary = "Keep tile accumulators in registers across the K loop";
  let description = [{
    After bufferization, each step of a tile's K loop reads the accumulator
    tile from memory and writes it back. This pass hoists such loop-invariant
    `vector.transfer_read` / `vector.transfer_write` pairs out of `scf.for`
    loops, so the accumulator becomes a loop-carried vector (registers) and
    memory is touched once per tile. Runs on buffers, inside parallel tasks
    as well: the hoisted pairs address memory private to one task.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def QTensorPrefetchWeights
    : Pass<"qtensor-prefetch-weights", "::mlir::func::FuncOp"> {
  let summary = "Prefetch the next weight tile while a GEMV tile streams its own";
  let description = [{
    A one-row (GEMV) tile reads its `tile-n` weight rows side by side, a few
    bytes of each per step: as many short streams as rows, which the
    hardware prefetchers follow poorly (at M = 1 a TinyLlama-shaped layer
    read its int8 weights at about half the machine's bandwidth). On
    buffers, this pass gives each K loop that the GEMV emitter marked
    (`qtensor.gemv`) one sequential stream of software prefetches instead:
    each step prefetches, into the L2 cache, as many bytes of the weights
    that follow its tile (the next tile's rows, contiguous in torch's
    [N, K] layout) as the step itself reads, so that the next tile is in
    cache when its loop starts. Addresses are clamped to the weight
    buffer. Loops whose weights are not rows of a contiguous [N, K] buffer
    are left alone.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def QTensorApproximateMath : Pass<"qtensor-approximate-math"> {
  let summary = "Replace exp, log, tanh and erf by polynomial approximations";
  let description = [{
    Rewrites `math.exp`, `expm1`, `log`, `log1p`, `log2`, `tanh` and `erf`
    on f32 (and on f16 / bf16 through f32) into polynomial approximations
    built from arith ops, scalars and vectors alike. LLVM would otherwise
    lower each lane of a vector to a libm call. The CPU pipeline runs it
    after vectorization; results stay within the tolerance of the numeric
    tests against eager PyTorch (rtol 1e-4).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def QTensorExpandBf16 : Pass<"qtensor-expand-bf16"> {
  let summary = "Expand f32 <-> bf16 conversions into integer arithmetic";
  let description = [{
    Rewrites `arith.truncf` to bf16 (round to nearest even, NaN kept) and
    `arith.extf` from bf16 into shifts and adds on the bits. CPUs without
    native bf16 conversions would otherwise have LLVM call `__truncsfbf2`,
    which the JIT does not provide. Scalars and vectors alike.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def QTensorStridedCopiesToLinalg : Pass<"qtensor-strided-copies-to-linalg"> {
  let summary = "Rewrite memref.copy between strided views into linalg.copy";
  let description = [{
    Bufferization writes `tensor.insert_slice` (cat, stack) and copies of
    slices as `memref.copy`. In the GPU pipeline, copies between contiguous
    buffers become `gpu.memcpy`, but a copy into or out of a strided view (a
    slice of a larger buffer) has no memcpy form. This pass rewrites those
    into `linalg.copy`, which the pipeline then maps to parallel loops and
    a GPU kernel like any other linalg op. Copies between contiguous buffers
    stay.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def QTensorCheckGpuTarget : Pass<"qtensor-check-gpu-target", "ModuleOp"> {
  let summary = "Validate the GPU target options before any code is generated";
  let description = [{
    The first pass of `--qtensor-gpu-pipeline`. It checks its options when
    the pass manager initializes, before any pass runs: NVPTX reports some
    bad chip / PTX-version combinations with `LLVM ERROR` and exits the
    process, and `gpu-module-to-binary` only finds out that `ptxas` is
    missing after the whole module has been lowered. A bad value is one
    `error:` diagnostic. The pass itself changes nothing.

    - `chip` must be one of `sm_80`, `sm_86`, `sm_89`, `sm_90`, `sm_90a`
      (every one is compiled with PTX ISA 8.0, `+ptx80`);
    - `format` must be `isa` (PTX text, no toolkit needed), `bin` (cubin,
      needs `ptxas`) or `fatbin` (needs `ptxas` and `fatbinary`), searched
      in `toolkit`/bin, then `PATH`, then `$CUDA_ROOT`, `$CUDA_HOME` and
      `$CUDA_PATH` (each followed by `/bin`), where `gpu-module-to-binary`
      looks for them.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90\"",
           "Target GPU architecture">,
    Option<"format", "format", "std::string", /*default=*/"\"isa\"",
           "Kernel binary format: isa, bin or fatbin">,
    Option<"toolkit", "toolkit", "std::string", /*default=*/"\"\"",
           "CUDA toolkit root searched first for ptxas and fatbinary">
  ];
}

def QTensorConfigureGpuKernels
    : Pass<"qtensor-configure-gpu-kernels", "::mlir::func::FuncOp"> {
  let summary = "Choose the GPU kernels and their tile parameters for each fused int8 linear";
  let description = [{
    Runs on buffers, before `qtensor-map-kernels-to-gpu`. For every fused
    kernel left by `qtensor-lower-to-linalg` that the mapping rewrites (the
    int8 weight conversion, the zero fill, the contraction and the
    `qtensor.epilogue` generic, weight in its `[N, K]` layout, f32, f16 or
    bf16 activations), it decides which kernel families run it by batch
    size `M` and with which tile parameters, and records that on the
    epilogue as `qtensor.gpu_kernels`, an array of `#qtensor.gpu_kernel`
    (docs/generated/QTensorDialect.md): each variant but the last runs the
    batches of at most its `max_rows` rows that the ones before it left.

    - `splitk`, `max_rows = small-m`: `vector_width` V, the widest of 16,
      8, 4, 2, 1 that divides K, and `columns = splitk-columns`.
    - Above `small-m`, for f16/bf16 activations with `tensor-cores=true`
      and 16 dividing K: `mma` with `chunks` C, the largest of 4, 2, 1 with
      16 C dividing K, preceded by `mma_ksplit` (`max_rows = 32`, the same
      C) when 64 C divides K.
    - Else `shared_tiled` when V = 16 and 64 divides K: `tile_m = tile-m`,
      `tile_k` the largest of 256, 128, 64 that divides K.
    - Else `tiled`: V and `tile_m = tile-m`.

    With a static `M` only the variant that applies is recorded, without
    `max_rows`. Out-of-range options are an error before any pass runs.
    The chip does not enter the choice: every supported chip (sm_80 and
    newer) runs every family.
  }];
  let options = [
    Option<"smallM", "small-m", "int64_t", /*default=*/"4",
           "Batches of at most this many rows use the split-K kernel">,
    Option<"tileM", "tile-m", "int64_t", /*default=*/"4",
           "Output rows per thread in the tiled kernels (1-16)">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "Use the tensor-core kernels for f16/bf16 batches above small-m">,
    Option<"splitKColumns", "splitk-columns", "int64_t", /*default=*/"1",
           "Output columns per warp in the split-K kernel (1-4)">
  ];
  let dependentDialects = ["::mlir::qtensor::QTensorDialect"];
}

def QTensorMapKernelsToGpu
    : Pass<"qtensor-map-kernels-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Rewrite bufferized fused int8 linears into GPU kernels";
  let description = [{
    Runs on buffers, after `qtensor-configure-gpu-kernels`. Every fused
    kernel left by `qtensor-lower-to-linalg` (the int8 weight conversion,
    the zero fill, the contraction and the `qtensor.epilogue` generic) is
    replaced by the kernels its `qtensor.gpu_kernels` attribute lists, each
    but the last behind an `scf.if` on the batch size `M <= max_rows`
    (decided at compile time when `M` is static); the linalg ops and the
    attribute go. A kernel without the attribute gets the configuration
    step's choice with this pass's options; a list that does not fit the
    kernel (a `vector_width`, `tile_k` or `chunks` that does not divide K,
    mma for f32) is an error. The families:

    - **tiled**: blocks of 32 x 4 threads; each thread computes `tile_m`
      rows of one output column, reading the weight row in `vector<Vxi8>`
      loads with `{alignment = V}` (V = `vector_width`: one `ld.global.v4`
      per load at 16), converting to f32 in registers (exactly, without an
      int-to-float instruction: `w ^ 0x80` shuffled into the low byte of
      2^23, minus 2^23 + 128; split-K does the same) and accumulating `V`
      partial sums per row with `vector.fma`; the partial sums are added
      after the K loop, then scale, bias and relu (the epilogue's own body)
      are applied and the element is stored.
    - **shared_tiled**: as tiled with V = 16, the block staging its 32
      weight rows in shared memory per step of D = `tile_k` k
      (`memref<32x(D+16)xi8>` in workgroup memory, rows padded against bank
      conflicts): in each 64 bytes of row i / 4 thread i copies 16
      (coalesced), all its loads before its stores, `gpu.barrier`, each
      thread reads its row from the tile, `gpu.barrier`. The sums and their
      order are the tiled kernel's.
    - **splitk** (GEMV-like): each warp computes `columns` (C) neighbouring
      output elements of one row, 4 warps per block, grid
      `[ceil(N / (4 * C)), M]`; lane `l` accumulates the slices
      `k = V * l + 32 * V * j` of each of its C weight rows (loading about
      4 slices ahead of their use, then the ones left over), and each
      activation slice it loads serves all C columns; then a butterfly of
      `gpu.shuffle xor` (offsets 16, 8, 4, 2, 1) adds each column's 32
      partial sums in a fixed order, so results are deterministic and the
      same for every C; lane 0 applies the epilogue.
    - **mma** (f16/bf16): warp-level `nvgpu.mma.sync` m16n8k16 on tensor
      cores. Blocks of 4 warps side by side along N, each warp 32 rows x 32
      columns (2 x 4 mma tiles), grid `[ceil(N / 128), ceil(M / 32)]`. In a
      k step of `16 * C` (C = `chunks`) a lane loads `4 * C` consecutive k
      of each of its weight rows (`vector<16xi8>`, one `ld.global.v4`, at
      C = 4) and activation rows, converts the weight to f16/bf16 in
      registers (exact for int8, again without int-to-float instructions:
      f16 under the byte 0x64 minus 1152, bf16 as the f32's high half) and
      feeds chunk j to the j-th mma: the k order inside a step is renamed
      identically for both operands, which the sum does not depend on.
      Accumulation is in f32; the epilogue runs as in the other kernels.
      `qtensor-convert-mma-sync-to-nvvm` lowers the mma ops.
    - **mma_ksplit** (as mma, for batches of one 32-row block): the plain
      mma grid has only `N / 128` blocks then, so a block's 4 warps share
      one 32 x 32 output tile instead, warp w over the w-th quarter of K,
      grid `[ceil(N / 32), ceil(M / 32)]`. The four partial tiles meet in a
      workgroup buffer (`memref<4x32x32xf32>`, `[warp][result][lane]`);
      after a `gpu.barrier` warp 0 adds them in warp order and applies the
      epilogue.

    Grid sizes are computed from `M` on the host, so one compiled program
    serves every batch size (a batch of 0 launches an empty grid). Rows and
    columns past the end are clamped for loads and skipped for stores.

    With `emulate`, the same kernel bodies are emitted inside `scf.parallel`
    loops over the grid and the block instead of `gpu.launch`, and the warp's
    32 lanes become a sequential loop whose butterfly uses `vector.shuffle`
    in the same order: the CPU pipeline can execute the tiling and the
    reductions of the GPU kernels without a GPU. The shared-memory tiled
    kernel becomes, per block, one `scf.parallel` over the threads for each
    phase between barriers, and the K-split mma kernel runs its 4 warps one
    after the other into a per-block partial buffer. An emulated mma stores
    every lane's fragment registers at the positions the m16n8k16 layout
    gives them in per-warp A and B tiles and multiplies those, so the
    fragment layout and the k renaming are checked too.

    Fused kernels with packed `[K, N]` weights are left alone (the generic
    loop mapping of the GPU pipeline handles them).
  }];
  let options = [
    Option<"smallM", "small-m", "int64_t", /*default=*/"4",
           "As qtensor-configure-gpu-kernels', for kernels without "
           "qtensor.gpu_kernels">,
    Option<"tileM", "tile-m", "int64_t", /*default=*/"4",
           "As qtensor-configure-gpu-kernels', for kernels without "
           "qtensor.gpu_kernels">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "As qtensor-configure-gpu-kernels', for kernels without "
           "qtensor.gpu_kernels">,
    Option<"splitKColumns", "splitk-columns", "int64_t", /*default=*/"1",
           "As qtensor-configure-gpu-kernels', for kernels without "
           "qtensor.gpu_kernels">,
    Option<"emulate", "emulate", "bool", /*default=*/"false",
           "Emit scf.parallel loops (CPU-executable) instead of gpu.launch">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::qtensor::QTensorDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def QTensorMapLinalgToGpu
    : Pass<"qtensor-map-linalg-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Map row reductions and float matmuls outside the fused "
                "linears to GPU kernels";
  let description = [{
    Runs on buffers, after `qtensor-map-kernels-to-gpu`. Two kinds of linalg
    op that the generic mapping (`convert-linalg-to-parallel-loops`, one
    thread per output element) runs badly get kernels of their own; every
    other op is left to it.

    - **Row reductions** (`<stem>_rows`): a `linalg.generic` with one
      reduction loop whose body yields `combine(f(inputs), output)`, where
      `combine` is a commutative arith op with a neutral element on f32 or
      i32 (`addf`, `maximumf`, `minimumf`, `maxnumf`, `mulf`, `addi`, ...):
      softmax's max and sum, the means of layer_norm and RMSNorm. One warp
      per output element, 4 per block of 32 x 4 threads: lane `l` folds
      `k = l, l + 32, ...` of the reduced loop with the op's own body,
      starting from the neutral element (reads of neighbouring lanes are
      coalesced when the reduced dimension is the innermost); a butterfly
      of `gpu.shuffle xor` (offsets 16, 8, 4, 2, 1) combines the 32 partial
      results in a fixed order, and lane 0 folds the result into the
      output element. Any rank, dynamic sizes, broadcast inputs and
      `linalg.index` are supported.
    - **Float matmuls** (`<stem>_tiled`): `linalg.batch_matmul` and
      `linalg.matmul` with their default indexing maps, an f32 result and
      f32, f16 or bf16 operands (attention's scores and weighted values;
      half-precision operands are widened as they are loaded). Blocks of 16 x 16 threads own a 64 x 64 tile of
      one batch's output; thread `(x, y)` accumulates the 4 x 4 outputs at
      rows `y + 16 i` and columns `x + 16 j` with `math.fma` over k in
      order, so a half-warp's reads of B are one coalesced row segment and
      its reads of A one broadcast element; then `C += sum`. Grid
      `[ceil(M / 64) * batches, ceil(N / 64)]` (x has the larger limit). Loads past the edges are
      clamped, stores skipped.

    Kernels are named after the op's position in the function
    (`reduce<i>`, `matmul<i>`). With `emulate` the same bodies run in
    `scf.parallel` loops on the CPU, the warp's lanes as a sequential loop
    whose partial results are combined with `vector.shuffle` in the GPU's
    butterfly order.
  }];
  let options = [
    Option<"emulate", "emulate", "bool", /*default=*/"false",
           "Emit scf.parallel loops (CPU-executable) instead of gpu.launch">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def QTensorAlignWorkgroupMemory
    : Pass<"qtensor-align-workgroup-memory", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Align the kernels' shared-memory buffers for vector access";
  let description = [{
    Runs in the kernels' `gpu.module`s after outlining. Every workgroup
    attribution of a `gpu.func` without an `llvm.align` attribute gets
    `llvm.align = 16`, which the NVVM lowering puts on the `.shared`
    global: the shared-memory tiled kernel reads and writes its weight tile
    with 16-byte vector accesses (`ld.shared.v4`/`st.shared.v4`), which
    need it (the lowering's default is byte alignment). Attributions that
    carry an alignment keep it.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"16",
           "Byte alignment given to workgroup buffers">
  ];
}

def QTensorConvertMmaSyncToNvvm
    : Pass<"qtensor-convert-mma-sync-to-nvvm", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower f16/bf16 nvgpu.mma.sync m16n8k16 to nvvm.mma.sync";
  let description = [{
    Runs in the kernels' `gpu.module`s, before the GPU-to-NVVM conversion.
    Every `nvgpu.mma.sync` of shape `[16, 8, 16]` with f16 or bf16
    multiplicands and an f32 accumulator (the tensor-core kernel of
    `qtensor-map-kernels-to-gpu`) becomes one `nvvm.mma.sync`: the rows of
    the `vector<4x2xT>` A and `vector<2x2xT>` B fragments are its
    registers (f16 pairs as `vector<2xf16>`, bf16 pairs as `i32`, as PTX
    passes them), the four f32 accumulators are passed and returned as
    scalars and regrouped into the `vector<2x2xf32>` result.

    nvgpu's own lowering (`convert-nvgpu-to-nvvm`) rejects bf16 operands;
    this pass covers both types the same way. Other `nvgpu.mma.sync` ops
    are left to it.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def QTensorUseDeviceMemory
    : Pass<"qtensor-use-device-memory", "::mlir::func::FuncOp"> {
  let summary = "Allocate host-side buffers in GPU memory";
  let description = [{
    After kernel mapping and buffer deallocation, every buffer the host code
    allocates is read and written by kernels only: `memref.alloc` becomes
    `gpu.alloc`, `memref.dealloc` becomes `gpu.dealloc` and `memref.copy`
    becomes `gpu.memcpy`. Function arguments are expected in device memory
    (the runtime uploads parameters once) and results are device buffers.
    A weight left as a `memref.get_global` (host memory) that a kernel reads
    is an error: the GPU pipeline needs `parameters=true`. Workgroup-space
    `memref.alloca`s directly in a `gpu.launch` body (the kernels' shared
    memory) become workgroup attributions of that launch.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def QTensorWriteStateInPlace
    : Pass<"qtensor-write-state-in-place", "ModuleOp"> {
  let summary = "Drop the state results of bufferized functions: the state "
                "arguments hold them";
  let description = [{
    Runs right after one-shot bufferization. A model's state (the buffers
    its forward writes, such as a KV cache) is an argument of `@forward`
    with a `qtensor.state` name, and its final value a result with the same
    `qtensor.state` name. Bufferization writes the updates in place, so such
    a result is the argument's own buffer (through `memref.cast`s): the
    result is dropped and the caller's buffer holds the new value, with no
    copy of the state per call. A result that bufferization could not place
    in the argument (a read of the old value after the write) is copied into
    the argument with `memref.copy` before the return, then dropped, so the
    function's results are always the model's outputs (and its status).
    A state result naming no state argument is an error.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def QTensorTagProfileOps : Pass<"qtensor-tag-profile-ops", "ModuleOp"> {
  let summary = "Name the linalg ops of each entry point for the op profile";
  let description = [{
    The first half of the op profile (`qtensor-insert-profile-points` is
    the second): runs on linalg before the CPU kernels are tiled, while a
    linear is still recognizable, and records in each op's location what
    the profile calls the code that op becomes. A contraction one of whose
    inputs is a weight (an entry-point parameter listed in
    `qtensor.parameters`, seen through its int8 conversion, reshapes and
    transposes) is a `linear` named after that weight, and so is the
    epilogue that consumes it (the root the kernel is tiled from); a
    contraction of two activations (attention's products) is `attention`,
    named after its source location. The record is a `NameLoc`
    "qtensor.profile:CATEGORY:NAME" around the op's location, so the loops
    tiling makes of the op carry it. Other ops are left alone.
  }];
}

def QTensorInsertProfilePoints
    : Pass<"qtensor-insert-profile-points", "ModuleOp"> {
  let summary = "Time every top-level op of each entry point";
  let description = [{
    Runs after tiling, before bufferization. Before each op in the body of
    a public function that does work (an op with regions, a linalg op, a
    tensor insert_slice, pad or concat) and before each return, inserts a
    call `qtensorProfilePoint(@qtensor_profile_counters, id)`: the runtime
    adds the time since the previous point to the previous point's entry,
    so each entry holds the time of the ops from its point to the next.
    Consecutive ops with the same name share a point. An op's category and
    name come from `qtensor-tag-profile-ops` (`linear`, `attention`), else
    the category is `other` and the name the op's source location. The
    counters are an i64 array, two per entry (nanoseconds, calls), in the
    external global `@qtensor_profile_counters`; the entries' categories
    and names are the module attribute `qtensor.profile_points` (an array
    of `{category, name}` dictionaries, in id order). The return point has
    id -1: it closes the last entry.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::func::FuncDialect"
  ];
}

#endif // QTENSOR_PASSES_PASSES_TD
