// Host code as MLIR 22 generates it, run by mlir-runner on
// libQTensorCudaRuntime.so and the fake libcuda.so.1
// (cmake/TestCudaGeneratedHostCode.cmake checks the trace): one kernel
// module, three launches of one kernel in a loop, a copy to the device and
// back. The fake runs no kernel, so the data come back as they went.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @double(%a: memref<?xf32>) kernel {
      %i = gpu.thread_id x
      %v = memref.load %a[%i] : memref<?xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %a[%i] : memref<?xf32>
      gpu.return
    }
  }
  func.func private @printMemrefF32(memref<*xf32>)
  func.func @main() {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %f = arith.constant 1.5 : f32
    %h = memref.alloc(%c4) : memref<?xf32>
    scf.for %i = %c0 to %c4 step %c1 {
      memref.store %f, %h[%i] : memref<?xf32>
    }
    %t0 = gpu.wait async
    %d, %t1 = gpu.alloc async [%t0] (%c4) : memref<?xf32>
    %t2 = gpu.memcpy async [%t1] %d, %h : memref<?xf32>, memref<?xf32>
    gpu.wait [%t2]
    scf.for %i = %c0 to %c3 step %c1 {
      gpu.launch_func @kernels::@double blocks in (%c1, %c1, %c1)
          threads in (%c4, %c1, %c1) args(%d : memref<?xf32>)
    }
    %t3 = gpu.wait async
    %t4 = gpu.memcpy async [%t3] %h, %d : memref<?xf32>, memref<?xf32>
    %t5 = gpu.dealloc async [%t4] %d : memref<?xf32>
    gpu.wait [%t5]
    %u = memref.cast %h : memref<?xf32> to memref<*xf32>
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    memref.dealloc %h : memref<?xf32>
    return
  }
}
