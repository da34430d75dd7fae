// GGUF parsing: a bounds-checked little-endian cursor over the mmap. Every count is checked against
// the bytes left before anything is allocated, so a corrupt header cannot ask for huge memory.
#include "formats/gguf.h"

#include <cstdarg>
#include <cstring>
#include <limits>

#include "common/strings.h"

namespace hkv::model {
namespace {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxKeyBytes = 65535;
constexpr int kMaxArrayDepth = 4;

}  // namespace

class GgufParser {
 public:
  GgufParser(GgufFile* out) : out_(out), bytes_(out->file_.bytes()) {}

  Status parse();

 private:
  Status fail(StatusCode code, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

  uint64_t remaining() const { return bytes_.size() - pos_; }

  template <typename T>
  Status read(T* out, const char* what) {
    if (remaining() < sizeof(T)) {
      return fail(StatusCode::kDataLoss, "truncated at byte %zu reading %s (%zu bytes needed)",
                  pos_, what, sizeof(T));
    }
    std::memcpy(out, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status();
  }

  Status read_string(std::string* out, const char* what, uint64_t max_bytes);
  Status read_value(GgufType type, GgufValue* out, int depth);
  Status read_array(GgufValue* out, int depth);
  Status read_tensor_info(GgufTensorInfo* info);

  GgufFile* out_;
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  std::string context_;  // "key 'x'" or "tensor 'y'" for messages
};

Status GgufParser::fail(StatusCode code, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string message = vstrformat(fmt, args);
  va_end(args);
  std::string where = context_.empty() ? "" : " (" + context_ + ")";
  return Status(code, "GGUF '" + out_->file_.path() + "': " + message + where);
}

Status GgufParser::read_string(std::string* out, const char* what, uint64_t max_bytes) {
  uint64_t len = 0;
  HKV_RETURN_IF_ERROR(read(&len, what));
  if (len > remaining() || len > max_bytes) {
    return fail(StatusCode::kDataLoss, "%s length %llu exceeds the %llu bytes left (limit %llu)",
                what, static_cast<unsigned long long>(len),
                static_cast<unsigned long long>(remaining()),
                static_cast<unsigned long long>(max_bytes));
  }
  out->assign(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
  pos_ += len;
  return Status();
}

Status GgufParser::read_value(GgufType type, GgufValue* out, int depth) {
  out->type = type;
  switch (type) {
#define HKV_GGUF_INT(enum_value, ctype)             \
  case GgufType::enum_value: {                      \
    ctype v{};                                      \
    HKV_RETURN_IF_ERROR(read(&v, #ctype " value")); \
    out->int_value = static_cast<int64_t>(v);       \
    return Status();                                \
  }
    HKV_GGUF_INT(kUint8, uint8_t)
    HKV_GGUF_INT(kInt8, int8_t)
    HKV_GGUF_INT(kUint16, uint16_t)
    HKV_GGUF_INT(kInt16, int16_t)
    HKV_GGUF_INT(kUint32, uint32_t)
    HKV_GGUF_INT(kInt32, int32_t)
    HKV_GGUF_INT(kInt64, int64_t)
#undef HKV_GGUF_INT
    case GgufType::kUint64: {
      uint64_t v = 0;
      HKV_RETURN_IF_ERROR(read(&v, "uint64 value"));
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return fail(StatusCode::kOutOfRange, "uint64 value %llu exceeds int64",
                    static_cast<unsigned long long>(v));
      }
      out->int_value = static_cast<int64_t>(v);
      return Status();
    }
    case GgufType::kFloat32: {
      float v = 0;
      HKV_RETURN_IF_ERROR(read(&v, "float32 value"));
      out->float_value = v;
      return Status();
    }
    case GgufType::kFloat64:
      return read(&out->float_value, "float64 value");
    case GgufType::kBool: {
      uint8_t v = 0;
      HKV_RETURN_IF_ERROR(read(&v, "bool value"));
      if (v > 1) {
        return fail(StatusCode::kDataLoss, "bool value %u is neither 0 nor 1", v);
      }
      out->bool_value = v != 0;
      out->int_value = v;
      return Status();
    }
    case GgufType::kString:
      return read_string(&out->string_value, "string value", remaining());
    case GgufType::kArray:
      return read_array(out, depth + 1);
  }
  return fail(StatusCode::kDataLoss, "unknown value type %u", static_cast<uint32_t>(type));
}

Status GgufParser::read_array(GgufValue* out, int depth) {
  if (depth > kMaxArrayDepth) {
    return fail(StatusCode::kDataLoss, "arrays nested deeper than %d", kMaxArrayDepth);
  }
  uint32_t elem_type = 0;
  uint64_t count = 0;
  HKV_RETURN_IF_ERROR(read(&elem_type, "array element type"));
  HKV_RETURN_IF_ERROR(read(&count, "array length"));
  if (elem_type > static_cast<uint32_t>(GgufType::kFloat64)) {
    return fail(StatusCode::kDataLoss, "unknown array element type %u", elem_type);
  }
  // Every element takes at least one byte (strings at least 8): bound the count before reserving.
  uint64_t min_elem = elem_type == static_cast<uint32_t>(GgufType::kString) ? 8 : 1;
  if (count > remaining() / min_elem) {
    return fail(StatusCode::kDataLoss, "array length %llu cannot fit in the %llu bytes left",
                static_cast<unsigned long long>(count),
                static_cast<unsigned long long>(remaining()));
  }
  out->array_type = static_cast<GgufType>(elem_type);
  out->array_size = count;
  GgufValue element;
  for (uint64_t i = 0; i < count; ++i) {
    HKV_RETURN_IF_ERROR(read_value(out->array_type, &element, depth));
    if (element.type == GgufType::kString) {
      out->strings.push_back(std::move(element.string_value));
    } else if (element.is_float()) {
      out->floats.push_back(element.float_value);
    } else if (element.type != GgufType::kArray) {
      out->ints.push_back(element.int_value);
    }
  }
  return Status();
}

Status GgufParser::read_tensor_info(GgufTensorInfo* info) {
  HKV_RETURN_IF_ERROR(read_string(&info->name, "tensor name", kMaxKeyBytes));
  context_ = "tensor '" + info->name + "'";
  uint32_t n_dims = 0;
  HKV_RETURN_IF_ERROR(read(&n_dims, "dimension count"));
  if (n_dims == 0 || n_dims > kMaxDims) {
    return fail(StatusCode::kDataLoss, "%u dimensions, expected 1..%u", n_dims, kMaxDims);
  }
  uint64_t elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    uint64_t dim = 0;
    HKV_RETURN_IF_ERROR(read(&dim, "dimension"));
    if (dim == 0 || dim > (uint64_t{1} << 40) || elements > (uint64_t{1} << 48) / dim) {
      return fail(StatusCode::kDataLoss, "dimension %u = %llu is zero or overflows", d,
                  static_cast<unsigned long long>(dim));
    }
    elements *= dim;
    info->dims.push_back(static_cast<int64_t>(dim));
  }
  uint32_t type_id = 0;
  HKV_RETURN_IF_ERROR(read(&type_id, "tensor type"));
  auto type = ggml_type_info(type_id);
  if (!type.ok()) {
    return fail(StatusCode::kUnimplemented, "%s", type.status().message().c_str());
  }
  info->type = *type;
  HKV_RETURN_IF_ERROR(read(&info->offset, "tensor offset"));
  info->num_elements = elements;
  if (static_cast<uint64_t>(info->dims[0]) % static_cast<uint64_t>(type->block_elements) != 0) {
    return fail(StatusCode::kDataLoss, "row length %lld is not a multiple of the %s block %lld",
                static_cast<long long>(info->dims[0]), type->name,
                static_cast<long long>(type->block_elements));
  }
  HKV_ASSIGN_OR_RETURN(info->num_bytes, ggml_tensor_bytes(*type, elements));
  return Status();
}

Status GgufParser::parse() {
  uint32_t magic = 0;
  HKV_RETURN_IF_ERROR(read(&magic, "magic"));
  if (magic != kGgufMagic) {
    return fail(StatusCode::kInvalidArgument, "bad magic 0x%08x, expected 0x%08x (\"GGUF\")", magic,
                kGgufMagic);
  }
  HKV_RETURN_IF_ERROR(read(&out_->version_, "version"));
  if (out_->version_ != 2 && out_->version_ != 3) {
    return fail(StatusCode::kUnimplemented, "version %u, expected 2 or 3", out_->version_);
  }
  uint64_t n_tensors = 0, n_kv = 0;
  HKV_RETURN_IF_ERROR(read(&n_tensors, "tensor count"));
  HKV_RETURN_IF_ERROR(read(&n_kv, "metadata count"));
  // A key/value takes at least 13 bytes, a tensor info at least 32.
  if (n_kv > remaining() / 13 || n_tensors > remaining() / 32) {
    return fail(StatusCode::kDataLoss, "counts (%llu tensors, %llu keys) cannot fit in %llu bytes",
                static_cast<unsigned long long>(n_tensors), static_cast<unsigned long long>(n_kv),
                static_cast<unsigned long long>(remaining()));
  }
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key;
    context_.clear();
    HKV_RETURN_IF_ERROR(read_string(&key, "key", kMaxKeyBytes));
    context_ = "key '" + key + "'";
    uint32_t type = 0;
    HKV_RETURN_IF_ERROR(read(&type, "value type"));
    GgufValue value;
    HKV_RETURN_IF_ERROR(read_value(static_cast<GgufType>(type), &value, 0));
    if (!out_->metadata_index_.emplace(key, out_->metadata_.size()).second) {
      return fail(StatusCode::kDataLoss, "duplicate key");
    }
    out_->metadata_.emplace_back(std::move(key), std::move(value));
  }
  context_.clear();
  if (const GgufValue* align = out_->find("general.alignment")) {
    if (!align->is_integer() || align->int_value <= 0 ||
        (align->int_value & (align->int_value - 1))) {
      return fail(StatusCode::kDataLoss, "general.alignment must be a power of two, got %s",
                  align->summary().c_str());
    }
    out_->alignment_ = static_cast<uint64_t>(align->int_value);
  }
  out_->tensors_.resize(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    HKV_RETURN_IF_ERROR(read_tensor_info(&out_->tensors_[i]));
    if (!out_->tensor_index_.emplace(out_->tensors_[i].name, i).second) {
      return fail(StatusCode::kDataLoss, "duplicate tensor name");
    }
  }
  context_.clear();
  uint64_t a = out_->alignment_;
  out_->data_offset_ = (pos_ + a - 1) / a * a;
  if (out_->data_offset_ > bytes_.size()) {
    return fail(StatusCode::kDataLoss, "data section starts at %llu, past the end (%zu bytes)",
                static_cast<unsigned long long>(out_->data_offset_), bytes_.size());
  }
  uint64_t data_bytes = bytes_.size() - out_->data_offset_;
  for (const GgufTensorInfo& t : out_->tensors_) {
    context_ = "tensor '" + t.name + "'";
    if (t.offset % a != 0) {
      return fail(StatusCode::kDataLoss, "offset %llu is not aligned to %llu",
                  static_cast<unsigned long long>(t.offset), static_cast<unsigned long long>(a));
    }
    if (t.offset > data_bytes || t.num_bytes > data_bytes - t.offset) {
      return fail(StatusCode::kDataLoss,
                  "data [%llu, +%llu) runs past the end of the data section (%llu bytes); file "
                  "truncated?",
                  static_cast<unsigned long long>(t.offset),
                  static_cast<unsigned long long>(t.num_bytes),
                  static_cast<unsigned long long>(data_bytes));
    }
  }
  return Status();
}

Result<GgufFile> GgufFile::open(const std::string& path) {
  GgufFile file;
  HKV_ASSIGN_OR_RETURN(file.file_, MappedFile::open(path));
  GgufParser parser(&file);
  HKV_RETURN_IF_ERROR(parser.parse());
  return file;
}

}  // namespace hkv::model
