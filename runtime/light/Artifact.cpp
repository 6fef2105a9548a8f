//===- Artifact.cpp - load and run AOT-compiled models --------------------===//

#include "qtensor/Runtime/Artifact.h"

#include "Json.h"
#include "qtensor/Runtime/CpuFeatures.h"
#include "qtensor/Runtime/CudaRuntime.h"
#include "qtensor/Runtime/EntryPoint.h"
#include "qtensor/Runtime/Npy.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <optional>
#include <sys/stat.h>

namespace qtensor {

namespace {

/// 64-byte aligned host storage for the parameters.
struct AlignedStorage {
  void *data = nullptr;
  explicit AlignedStorage(size_t bytes)
      : data(std::aligned_alloc(64,
                                std::max<size_t>(64, (bytes + 63) / 64 * 64))) {
  }
  ~AlignedStorage() { std::free(data); }
  AlignedStorage(const AlignedStorage &) = delete;
  AlignedStorage &operator=(const AlignedStorage &) = delete;
};

bool isDirectory(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

/// Makes the symbols of the library holding `address` global, so that the
/// artifact's code finds qtensorMemrefCopy and the mgpu* functions even
/// where this runtime itself was loaded with RTLD_LOCAL (Python's ctypes).
void promoteToGlobal(const void *address) {
  Dl_info info;
  if (dladdr(address, &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
}

/// The bytes of a dense `shape` of `dtype`, or nothing when the product
/// overflows.
std::optional<size_t> byteSize(DType dtype, const std::vector<int64_t> &shape) {
  size_t total = byteWidth(dtype);
  for (int64_t size : shape)
    if (__builtin_mul_overflow(total, static_cast<size_t>(size), &total))
      return std::nullopt;
  return total;
}

/// Reading the manifest: every missing or mistyped field is one error that
/// names it.
class ManifestReader {
public:
  explicit ManifestReader(std::string path) : path(std::move(path)) {}

  Status error(const std::string &message) const {
    return Status::error("malformed artifact manifest '" + path +
                         "': " + message);
  }
  Status string(const json::Value &object, const char *key,
                std::string &out) const {
    const json::Value *value = object.get(key);
    if (!value || value->kind != json::Value::Kind::String)
      return error(std::string("'") + key + "' is not a string");
    out = value->string;
    return Status::success();
  }
  Status integer(const json::Value &object, const char *key,
                 int64_t &out) const {
    const json::Value *value = object.get(key);
    if (!value || !value->integer)
      return error(std::string("'") + key + "' is not an integer");
    out = *value->integer;
    return Status::success();
  }
  Status array(const json::Value &object, const char *key,
               const std::vector<json::Value> *&out) const {
    const json::Value *value = object.get(key);
    if (!value || value->kind != json::Value::Kind::Array)
      return error(std::string("'") + key + "' is not an array");
    out = &value->array;
    return Status::success();
  }
  Status shape(const json::Value &object, const char *key,
               std::vector<int64_t> &out) const {
    const std::vector<json::Value> *sizes;
    QTENSOR_RETURN_IF_ERROR(array(object, key, sizes));
    out.clear();
    for (const json::Value &size : *sizes) {
      if (!size.integer || *size.integer < 0 ||
          *size.integer > (int64_t(1) << 40))
        return error(std::string("'") + key + "' has an invalid size");
      out.push_back(*size.integer);
    }
    return Status::success();
  }
  /// A dense array stored in one of the artifact's files (a parameter, a
  /// state's initial value): its name, dtype, shape and where it lies.
  /// Its size in bytes must be what dtype and shape take; `what` names the
  /// kind of array in errors.
  Status storedArray(const json::Value &entry, const char *what,
                     std::string &name, DType &elementType,
                     std::vector<int64_t> &sizes, size_t &offset,
                     size_t &bytes) const {
    int64_t start, length;
    QTENSOR_RETURN_IF_ERROR(string(entry, "name", name));
    QTENSOR_RETURN_IF_ERROR(dtype(entry, elementType));
    QTENSOR_RETURN_IF_ERROR(shape(entry, "shape", sizes));
    QTENSOR_RETURN_IF_ERROR(integer(entry, "offset", start));
    QTENSOR_RETURN_IF_ERROR(integer(entry, "bytes", length));
    std::optional<size_t> expected = byteSize(elementType, sizes);
    if (!expected || start < 0 || length < 0 ||
        static_cast<size_t>(length) != *expected)
      return error(std::string(what) + " '" + name +
                   "' has an invalid offset or size");
    offset = static_cast<size_t>(start);
    bytes = static_cast<size_t>(length);
    return Status::success();
  }
  /// An input's "shape": static sizes as integers, dynamic ones by name.
  Status inputDims(const json::Value &object,
                   std::vector<InputDim> &out) const {
    const std::vector<json::Value> *sizes;
    QTENSOR_RETURN_IF_ERROR(array(object, "shape", sizes));
    out.clear();
    for (const json::Value &size : *sizes) {
      if (size.kind == json::Value::Kind::String && isInputDimName(size.string))
        out.push_back({kDynamicSize, size.string});
      else if (size.integer && *size.integer >= 0 &&
               *size.integer <= kMaxInputDimension)
        out.push_back({*size.integer, ""});
      else
        return error("an input's 'shape' has an invalid size");
    }
    return Status::success();
  }
  Status dtype(const json::Value &object, DType &out) const {
    std::string name;
    QTENSOR_RETURN_IF_ERROR(string(object, "dtype", name));
    std::optional<DType> parsed = parseElementType(name);
    if (!parsed)
      return error("unknown dtype '" + name + "'");
    out = *parsed;
    return Status::success();
  }

private:
  std::string path;
};

/// One parameter: where it is in the weights file.
struct ParameterRecord {
  Parameter parameter;
  size_t offset = 0;
};

} // namespace

struct Artifact::Impl {
  std::string directory;
  std::string targetKind; ///< "cpu" or "cuda"
  std::string description;
  EntrySignature signature;
  std::vector<ParameterRecord> records;
  size_t weightsBytes = 0;
  std::vector<Parameter> parameters;
  std::unique_ptr<AlignedStorage> storage;
  std::unique_ptr<cuda::DeviceParameters> device;
  std::vector<ParameterBuffer> buffers;
  /// False until parameters are installed, for artifacts without weights.
  bool hasWeights = false;
  PackedEntry entry = nullptr;

  Status readManifest(const std::string &path);
  /// What a decoder adds: input bounds, states and their initial values,
  /// the messages of its status result.
  Status readInterface(const json::Value &manifest,
                       const ManifestReader &reader);
  Status checkHost(const json::Value &manifest, const ManifestReader &reader);
  Status run(const std::vector<TensorView> &inputs,
             std::vector<Tensor> &outputs,
             const std::vector<void *> &states) const;
  /// Takes the parameters from `bytes` (laid out as the weights file).
  Status installParameters(std::string_view bytes, const std::string &from);
};

Status Artifact::Impl::readManifest(const std::string &path) {
  std::string text;
  if (Status status = readFile(path, text); !status)
    return Status::error("'" + directory +
                         "' is not a qtensor artifact: " + status.message());
  ManifestReader reader(path);
  json::Value manifest;
  if (Status status = json::parse(text, manifest); !status)
    return reader.error(status.message());
  if (manifest.kind != json::Value::Kind::Object)
    return reader.error("not a JSON object");
  std::string format;
  int64_t version = 0;
  QTENSOR_RETURN_IF_ERROR(reader.string(manifest, "format", format));
  if (format != "qtensor-artifact")
    return reader.error("format is '" + format + "', not 'qtensor-artifact'");
  QTENSOR_RETURN_IF_ERROR(reader.integer(manifest, "version", version));
  if (version != kArtifactFormatVersion)
    return Status::error("artifact '" + directory + "' has format version " +
                         std::to_string(version) + "; this runtime reads " +
                         std::to_string(kArtifactFormatVersion) +
                         ": recompile it with this qtensor-compile");

  const std::vector<json::Value> *inputs, *outputs, *parameters;
  QTENSOR_RETURN_IF_ERROR(reader.array(manifest, "inputs", inputs));
  for (const json::Value &input : *inputs) {
    InputSpec spec;
    QTENSOR_RETURN_IF_ERROR(reader.dtype(input, spec.dtype));
    QTENSOR_RETURN_IF_ERROR(reader.inputDims(input, spec.dims));
    signature.inputs.push_back(std::move(spec));
  }
  QTENSOR_RETURN_IF_ERROR(reader.array(manifest, "outputs", outputs));
  for (const json::Value &output : *outputs) {
    DType dtype;
    int64_t rank;
    QTENSOR_RETURN_IF_ERROR(reader.dtype(output, dtype));
    QTENSOR_RETURN_IF_ERROR(reader.integer(output, "rank", rank));
    if (rank < 0 || rank > 16)
      return reader.error("an output has rank " + std::to_string(rank));
    signature.resultTypes.push_back(dtype);
    signature.resultRanks.push_back(static_cast<size_t>(rank));
  }
  QTENSOR_RETURN_IF_ERROR(reader.array(manifest, "parameters", parameters));
  for (const json::Value &entry : *parameters) {
    ParameterRecord record;
    Parameter &parameter = record.parameter;
    QTENSOR_RETURN_IF_ERROR(
        reader.storedArray(entry, "parameter", parameter.name, parameter.dtype,
                           parameter.shape, record.offset, parameter.bytes));
    QTENSOR_RETURN_IF_ERROR(reader.string(entry, "layout", parameter.layout));
    if (record.offset % 64 != 0 || record.offset < weightsBytes ||
        parameter.bytes > SIZE_MAX - record.offset)
      return reader.error("parameter '" + parameter.name +
                          "' has an invalid offset or size");
    weightsBytes = record.offset + parameter.bytes;
    records.push_back(std::move(record));
  }

  QTENSOR_RETURN_IF_ERROR(readInterface(manifest, reader));

  int64_t declaredBytes = 0;
  QTENSOR_RETURN_IF_ERROR(
      reader.integer(manifest, "weights_bytes", declaredBytes));
  if (declaredBytes < 0 || static_cast<size_t>(declaredBytes) < weightsBytes)
    return reader.error("'weights_bytes' is " + std::to_string(declaredBytes) +
                        ", less than its parameters take");
  weightsBytes = static_cast<size_t>(declaredBytes);

  QTENSOR_RETURN_IF_ERROR(checkHost(manifest, reader));

  // "weights" is absent from artifacts compiled without them.
  std::string weights, library, entryName;
  if (manifest.get("weights"))
    QTENSOR_RETURN_IF_ERROR(reader.string(manifest, "weights", weights));
  QTENSOR_RETURN_IF_ERROR(reader.string(manifest, "library", library));
  QTENSOR_RETURN_IF_ERROR(reader.string(manifest, "entry", entryName));
  for (const std::string *name : {&weights, &library})
    if ((name == &library && name->empty()) ||
        name->find('/') != std::string::npos)
      return reader.error("'" + *name + "' is not a file name in the artifact");

  hasWeights = !weights.empty() || records.empty();
  if (!weights.empty()) {
    std::string weightsPath = directory + "/" + weights;
    std::string bytes;
    QTENSOR_RETURN_IF_ERROR(readFile(weightsPath, bytes));
    QTENSOR_RETURN_IF_ERROR(installParameters(bytes, weightsPath));
  }

  // The library: its constructor loads the GPU binary of CUDA targets.
  promoteToGlobal(reinterpret_cast<const void *>(&qtensorMemrefCopy));
  promoteToGlobal(reinterpret_cast<const void *>(&mgpuLaunchKernel));
  std::string libraryPath = directory + "/" + library;
  // Never closed: its OpenMP and CUDA state lives as long as the process.
  void *handle = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return Status::error("cannot load '" + libraryPath + "': " + dlerror());
  if (targetKind == "cuda")
    if (std::optional<std::string> error = cuda::takeError())
      return Status::error("cannot load the GPU code of '" + libraryPath +
                           "': " + *error);
  entry = reinterpret_cast<PackedEntry>(dlsym(handle, entryName.c_str()));
  if (!entry)
    return Status::error("'" + libraryPath + "' has no entry point '" +
                         entryName + "'");
  return Status::success();
}

Status Artifact::Impl::readInterface(const json::Value &manifest,
                                     const ManifestReader &reader) {
  const std::vector<json::Value> *bounds, *states, *messages;
  QTENSOR_RETURN_IF_ERROR(reader.array(manifest, "input_bounds", bounds));
  if (!bounds->empty() && bounds->size() != signature.inputs.size())
    return reader.error("'input_bounds' has " + std::to_string(bounds->size()) +
                        " entries for " +
                        std::to_string(signature.inputs.size()) + " inputs");
  for (const json::Value &bound : *bounds) {
    if (!bound.integer || *bound.integer < 0)
      return reader.error("'input_bounds' holds an invalid bound");
    signature.inputBounds.push_back(*bound.integer);
  }

  QTENSOR_RETURN_IF_ERROR(reader.array(manifest, "status_messages", messages));
  for (const json::Value &message : *messages) {
    if (message.kind != json::Value::Kind::String)
      return reader.error("'status_messages' holds a non-string");
    signature.statusMessages.push_back(message.string);
  }
  // The status is the last result, an int32 scalar, after the outputs.
  if (!messages->empty() && (signature.resultTypes.empty() ||
                             signature.resultTypes.back() != DType::I32 ||
                             signature.resultRanks.back() != 0))
    return reader.error("a model with 'status_messages' must end its "
                        "'outputs' with an int32 status of rank 0");

  QTENSOR_RETURN_IF_ERROR(reader.array(manifest, "states", states));
  if (states->empty())
    return Status::success();
  std::string initialFile;
  QTENSOR_RETURN_IF_ERROR(
      reader.string(manifest, "initial_state", initialFile));
  if (initialFile.empty() || initialFile.find('/') != std::string::npos)
    return reader.error("'" + initialFile +
                        "' is not a file name in the artifact");
  std::string initialPath = directory + "/" + initialFile, initialBytes;
  QTENSOR_RETURN_IF_ERROR(readFile(initialPath, initialBytes));
  for (const json::Value &entry : *states) {
    StateSpec state;
    size_t offset, bytes;
    QTENSOR_RETURN_IF_ERROR(reader.storedArray(
        entry, "state", state.name, state.dtype, state.shape, offset, bytes));
    if (offset > initialBytes.size() || bytes > initialBytes.size() - offset)
      return reader.error("state '" + state.name +
                          "' has an invalid offset or size in '" + initialPath +
                          "'");
    state.initial.assign(initialBytes.begin() + offset,
                         initialBytes.begin() + offset + bytes);
    signature.states.push_back(std::move(state));
  }
  return Status::success();
}

Status Artifact::Impl::checkHost(const json::Value &manifest,
                                 const ManifestReader &reader) {
  std::string cpu;
  const std::vector<json::Value> *features;
  QTENSOR_RETURN_IF_ERROR(reader.string(manifest, "target", targetKind));
  QTENSOR_RETURN_IF_ERROR(reader.string(manifest, "cpu", cpu));
  QTENSOR_RETURN_IF_ERROR(reader.array(manifest, "cpu_features", features));
  std::vector<std::string> required;
  for (const json::Value &feature : *features) {
    if (feature.kind != json::Value::Kind::String)
      return reader.error("'cpu_features' holds a non-string");
    required.push_back(feature.string);
  }
  std::vector<std::string> missing = missingCpuFeatures(required);
  if (!missing.empty()) {
    std::string list;
    for (const std::string &feature : missing)
      list += (list.empty() ? "" : ", ") + feature;
    return Status::error("artifact '" + directory + "' was compiled for CPU '" +
                         cpu + "' and needs CPU features this host lacks: " +
                         list + "; compile it with --target cpu:x86-64-v3 " +
                         "(or a CPU this host has) to run it here");
  }
  if (targetKind == "cpu") {
    description = "cpu (" + cpu + ")";
    return Status::success();
  }
  if (targetKind != "cuda")
    return reader.error("unknown target '" + targetKind + "'");
  std::string chip, binary;
  QTENSOR_RETURN_IF_ERROR(reader.string(manifest, "chip", chip));
  QTENSOR_RETURN_IF_ERROR(reader.string(manifest, "gpu_binary", binary));
  // sm_XY or sm_XYa.
  int chipCapability = 0;
  size_t digits = 3;
  while (digits < chip.size() &&
         std::isdigit(static_cast<unsigned char>(chip[digits])))
    chipCapability = chipCapability * 10 + (chip[digits++] - '0');
  bool wellFormed = chip.compare(0, 3, "sm_") == 0 && digits >= 5 &&
                    digits <= 6 &&
                    (digits == chip.size() ||
                     (digits + 1 == chip.size() && chip.back() == 'a'));
  if (!wellFormed)
    return reader.error("unknown chip '" + chip + "'");
  cuda::DeviceProbe probe = cuda::probeDevice();
  if (!probe.available)
    return Status::error("artifact '" + directory + "' targets cuda:" + chip +
                         ", and this host has no usable GPU: " + probe.message);
  if (binary != "isa" && binary != "fatbin")
    return reader.error("unknown gpu_binary '" + binary +
                        "' (expected isa or fatbin)");
  // PTX (in isa and fatbin images) the driver compiles for its GPU or any
  // newer one, except for architecture-specific chips (sm_90a), which run
  // on their own architecture only.
  bool archSpecific = chip.back() == 'a';
  bool compatible = archSpecific ? probe.computeCapability == chipCapability
                                 : probe.computeCapability >= chipCapability;
  if (!compatible)
    return Status::error("artifact '" + directory + "' targets cuda:" + chip +
                         " (" + binary + "), which cannot run on " +
                         probe.message);
  description = "cuda " + chip + " on " + probe.message;
  return Status::success();
}

Status Artifact::Impl::installParameters(std::string_view bytes,
                                         const std::string &from) {
  if (bytes.size() != weightsBytes)
    return Status::error("'" + from + "' has " + std::to_string(bytes.size()) +
                         " bytes; the artifact's parameters take " +
                         std::to_string(weightsBytes));
  auto newStorage = std::make_unique<AlignedStorage>(weightsBytes);
  if (!newStorage->data)
    return Status::error("out of memory for " + std::to_string(weightsBytes) +
                         " bytes of parameters");
  if (!bytes.empty())
    std::memcpy(newStorage->data, bytes.data(), bytes.size());
  std::vector<Parameter> newParameters;
  std::vector<ParameterBuffer> newBuffers;
  std::unique_ptr<cuda::DeviceParameters> newDevice;
  if (targetKind == "cuda")
    newDevice = std::make_unique<cuda::DeviceParameters>();
  for (const ParameterRecord &record : records) {
    Parameter parameter = record.parameter;
    parameter.data = static_cast<char *>(newStorage->data) + record.offset;
    const void *data = parameter.data;
    if (newDevice) {
      data = newDevice->upload(parameter.data, parameter.bytes);
      if (!data && parameter.bytes != 0) {
        std::optional<std::string> error = cuda::takeError();
        return Status::error("copying parameter '" + parameter.name +
                             "' to the GPU: " + error.value_or("failed"));
      }
    }
    newBuffers.push_back({data, parameter.shape});
    newParameters.push_back(std::move(parameter));
  }
  storage = std::move(newStorage);
  hasWeights = true;
  parameters = std::move(newParameters);
  buffers = std::move(newBuffers);
  device = std::move(newDevice);
  return Status::success();
}

Artifact::Artifact(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Artifact::~Artifact() = default;

Status Artifact::load(const std::string &directory,
                      std::shared_ptr<Artifact> &artifact) {
  if (!isDirectory(directory))
    return Status::error("'" + directory +
                         "' is not a qtensor artifact: not a directory");
  auto impl = std::make_unique<Impl>();
  impl->directory = directory;
  QTENSOR_RETURN_IF_ERROR(impl->readManifest(directory + "/manifest.json"));
  artifact.reset(new Artifact(std::move(impl)));
  return Status::success();
}

Status Artifact::setParameters(const std::string &path) {
  if (!isDirectory(path)) {
    std::string bytes;
    QTENSOR_RETURN_IF_ERROR(readFile(path, bytes));
    return impl->installParameters(bytes, path);
  }
  // One NAME.npy per parameter, assembled in the weights file's layout.
  std::string bytes(impl->weightsBytes, '\0');
  for (const ParameterRecord &record : impl->records) {
    const Parameter &parameter = record.parameter;
    std::string file = path + "/" + parameterFileName(parameter.name);
    if (parameter.layout != "row_major")
      return Status::error("parameter '" + parameter.name + "' is stored as " +
                           parameter.layout +
                           "; .npy parameters must be row_major");
    NpyArray array;
    if (Status status = readNpy(file, array); !status)
      return Status::error("parameter '" + parameter.name +
                           "': " + status.message());
    const char *expected = npyDType(parameter.dtype);
    if (!expected || array.dtype != expected || array.shape != parameter.shape)
      return Status::error("'" + file + "' holds " + array.dtype + " " +
                           formatShape(array.shape) + "; parameter '" +
                           parameter.name + "' is " +
                           toString(parameter.dtype) + " " +
                           formatShape(parameter.shape));
    std::memcpy(bytes.data() + record.offset, array.bytes.data(),
                array.bytes.size());
  }
  return impl->installParameters(bytes, path);
}

Status Artifact::run(const std::vector<TensorView> &inputs,
                     std::vector<Tensor> &outputs) const {
  return impl->run(inputs, outputs, {});
}

Status Artifact::run(const std::vector<TensorView> &inputs,
                     std::vector<Tensor> &outputs, State &state) const {
  std::vector<void *> buffers;
  QTENSOR_RETURN_IF_ERROR(state.buffersFor(impl.get(), buffers));
  return impl->run(inputs, outputs, buffers);
}

Status Artifact::Impl::run(const std::vector<TensorView> &inputs,
                           std::vector<Tensor> &outputs,
                           const std::vector<void *> &states) const {
  if (!hasWeights)
    return Status::error("artifact '" + directory +
                         "' holds no weights: give its parameters with "
                         "--params FILE|DIR (Artifact::setParameters)");
  return callEntry(entry, signature, inputs, buffers,
                   targetKind == "cuda" ? MemorySpace::Cuda : MemorySpace::Host,
                   outputs, states);
}

std::unique_ptr<State> Artifact::createState() const {
  return State::create(impl.get(), impl->signature.states);
}

const std::vector<StateSpec> &Artifact::states() const {
  return impl->signature.states;
}

const std::vector<int64_t> &Artifact::inputBounds() const {
  return impl->signature.inputBounds;
}

const std::vector<InputSpec> &Artifact::inputs() const {
  return impl->signature.inputs;
}
const std::vector<Parameter> &Artifact::parameters() const {
  return impl->parameters;
}
const std::string &Artifact::targetDescription() const {
  return impl->description;
}

} // namespace qtensor
