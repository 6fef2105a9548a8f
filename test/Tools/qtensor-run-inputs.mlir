// Tests qtensor-run's integer and bool inputs: random ones (--input-range),
// .npy files of every dtype the runtime takes, results in their own dtype,
// and the errors of each (one `error:` line, exit status 2).

// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/../Importer/make_input_models.py %t

// Tests that random int64 ids stay in --input-range (LO included, HI
// excluded), random bools are 0 or 1, and integer and bool results are
// written in their own dtype (ids.pt returns its inputs transposed).
// RUN: qtensor-run %t/ids.pt --input-shape 4x8 --input-shape 16x32:i64 --input-shape 8x8:bool --input-range 100:103 --quantize none --compare --output %t/y.npy | FileCheck %s --check-prefix=COMPARE
// COMPARE-NOT: = False
// COMPARE: allclose(compiled, float model) = True {{.*}} [result 1]
// COMPARE-NOT: = False
// RUN: %torch_python -c "import numpy as np; y = np.load('%t/y.1.npy'); b = np.load('%t/y.2.npy'); print(np.load('%t/y.npy').dtype, y.dtype, y.shape, y.min(), y.max(), b.dtype, sorted(set(b.flatten().tolist())))" | FileCheck %s --check-prefix=RANDOM
// RANDOM: float32 int64 (32, 16) 100 102 bool [False, True]
// A negative range, and the default [0, 16).
// RUN: qtensor-run %t/ids.pt --input-shape 4x8 --input-shape 16x32:i8 --input-shape 1x1:bool --input-range=-128:-120 --quantize none --output %t/n.npy
// RUN: qtensor-run %t/ids.pt --input-shape 4x8 --input-shape 16x32:i32 --input-shape 1x1:bool --quantize none --output %t/d.npy
// RUN: %torch_python -c "import numpy as np; n = np.load('%t/n.1.npy'); d = np.load('%t/d.1.npy'); print(n.dtype, n.min(), n.max(), d.dtype, d.min(), d.max())" | FileCheck %s --check-prefix=RANGES
// RANGES: int8 -128 -121 int32 0 15

// Tests that .npy inputs of int64, int32 and bool compile for their dtype
// and come back exactly (an id above 2^24 included).
// RUN: %torch_python -c "import numpy as np; np.save('%t/x.npy', np.ones((4, 8), np.float32)); np.save('%t/ids.npy', np.array([[0, 1, 2], [3, 2**40 + 1, -5]])); np.save('%t/ids32.npy', np.arange(6, dtype=np.int32).reshape(2, 3)); np.save('%t/flags.npy', np.array([[True], [False]]))"
// RUN: qtensor-run %t/ids.pt --input %t/x.npy --input %t/ids.npy --input %t/flags.npy --quantize none --compare --output %t/z.npy | FileCheck %s --check-prefix=COMPARE
// RUN: %torch_python -c "import numpy as np; print(np.load('%t/z.1.npy').T.tolist(), np.load('%t/z.2.npy').T.tolist())" | FileCheck %s --check-prefix=NPY
// NPY: {{\[\[0, 1, 2\], \[3, 1099511627777, -5\]\] \[\[True\], \[False\]\]}}
// RUN: qtensor-run %t/ids.pt --input %t/x.npy --input %t/ids32.npy --input %t/flags.npy --quantize none --output %t/w.npy
// RUN: %torch_python -c "import numpy as np; w = np.load('%t/w.1.npy'); print(w.dtype, w.T.tolist())" | FileCheck %s --check-prefix=NPY32
// NPY32: int32 {{\[\[0, 1, 2\], \[3, 4, 5\]\]}}

// Tests that a .npy file of another dtype than a compiled model's input is
// refused, naming both.
// RUN: qtensor-import %t/ids.pt --input-shape 4x8 --input-shape 2x3:i64 --input-shape 2x1:bool -o %t/ids.mlir
// RUN: %expect_exit 2 qtensor-run %t/ids.mlir --input %t/x.npy --input %t/ids32.npy --input %t/flags.npy 2>&1 | FileCheck %s --check-prefix=WRONG-DTYPE
// WRONG-DTYPE: error: input 1 of @forward is 2x3:i64, not 2x3:i32

// Tests the errors of --input-range: syntax, an empty range, a range an
// input's dtype cannot hold, and a range with --input files.
// RUN: %expect_exit 2 qtensor-run %t/ids.pt --input-shape 4x8 --input-shape 2x3:i64 --input-shape 2x1:bool --input-range 0-100 2>&1 | FileCheck %s --check-prefix=RANGE-SYNTAX
// RANGE-SYNTAX: error: invalid --input-range '0-100': expected LO:HI, two integers with LO < HI (values from LO up to HI - 1){{$}}
// RUN: %expect_exit 2 qtensor-run %t/ids.pt --input-shape 4x8 --input-shape 2x3:i64 --input-shape 2x1:bool --input-range 5:5 2>&1 | FileCheck %s --check-prefix=RANGE-EMPTY
// RANGE-EMPTY: error: invalid --input-range '5:5': expected LO:HI
// RUN: %expect_exit 2 qtensor-run %t/ids.pt --input-shape 4x8 --input-shape 2x3:i8 --input-shape 2x1:bool --input-range 0:1000 2>&1 | FileCheck %s --check-prefix=RANGE-FIT
// RANGE-FIT: error: --input-range 0:1000 does not fit --input-shape '2x3:i8': i8 holds -128 to 127{{$}}
// RUN: %expect_exit 2 qtensor-run %t/ids.pt --input %t/x.npy --input %t/ids.npy --input %t/flags.npy --input-range 0:100 2>&1 | FileCheck %s --check-prefix=RANGE-FILES
// RANGE-FILES: error: --input-range applies to random inputs (--input-shape), not to --input files{{$}}
