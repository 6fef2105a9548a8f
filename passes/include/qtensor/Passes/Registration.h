//===- Registration.h - dialects and passes every tool knows ----*- C++ -*-===//
//
// One place that decides what a qtensor tool can parse and run, so that
// qtensor-opt, the importer and the runtime agree.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_REGISTRATION_H
#define QTENSOR_PASSES_REGISTRATION_H

namespace mlir {
class DialectRegistry;
namespace qtensor {

/// Adds every upstream dialect and dialect extension, and the qtensor dialect.
void registerAllDialects(DialectRegistry &registry);

/// Registers every upstream pass and pipeline, and qtensor's own, with the
/// global pass registry (for command-line parsing). Idempotent.
void registerAllPasses();

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_REGISTRATION_H
