// safetensors parsing and shard resolution.
#include "formats/safetensors.h"

#include <algorithm>
#include <filesystem>

#include "common/json.h"

namespace hkv::model {
namespace {

struct DTypeName {
  const char* name;
  StDType dtype;
  size_t size;
};

constexpr DTypeName kDTypes[] = {
    {"F64", StDType::kF64, 8},   {"F32", StDType::kF32, 4}, {"F16", StDType::kF16, 2},
    {"BF16", StDType::kBf16, 2}, {"I64", StDType::kI64, 8}, {"I32", StDType::kI32, 4},
    {"I16", StDType::kI16, 2},   {"I8", StDType::kI8, 1},   {"U8", StDType::kU8, 1},
    {"BOOL", StDType::kBool, 1},
};

}  // namespace

const char* st_dtype_name(StDType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) {
      return d.name;
    }
  }
  return "?";
}

size_t st_dtype_size(StDType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) {
      return d.size;
    }
  }
  return 0;
}

uint64_t StTensorInfo::num_elements() const {
  uint64_t n = 1;
  for (int64_t d : shape) {
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  SafetensorsFile st;
  HKV_ASSIGN_OR_RETURN(st.file_, MappedFile::open(path));
  auto bytes = st.file_.bytes();
  if (bytes.size() < 8) {
    return errorf(StatusCode::kDataLoss,
                  "safetensors '%s': %zu bytes, too short for the header size", path.c_str(),
                  bytes.size());
  }
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) {
    header_bytes = (header_bytes << 8) | bytes[i];
  }
  if (header_bytes > kMaxHeaderBytes || header_bytes > bytes.size() - 8) {
    return errorf(
        StatusCode::kDataLoss,
        "safetensors '%s': header size %llu exceeds the file (%zu bytes) or the %llu limit",
        path.c_str(), static_cast<unsigned long long>(header_bytes), bytes.size(),
        static_cast<unsigned long long>(kMaxHeaderBytes));
  }
  st.data_offset_ = 8 + header_bytes;
  std::string_view header(reinterpret_cast<const char*>(bytes.data() + 8), header_bytes);
  HKV_RETURN_IF_ERROR(st.parse_header(header));
  return st;
}

Status SafetensorsFile::parse_header(std::string_view header) {
  const std::string& path = file_.path();
  HKV_ASSIGN_OR_RETURN(Json json, parse_json(header, "safetensors header of '" + path + "'"));
  JsonRef root(json, path);
  if (!root.is_object()) {
    return errorf(StatusCode::kDataLoss, "safetensors '%s': header is not a JSON object",
                  path.c_str());
  }
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) {
        return errorf(StatusCode::kDataLoss, "safetensors '%s': __metadata__ is not an object",
                      path.c_str());
      }
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (m->is_string()) {
          metadata_[m.key()] = m->get<std::string>();
        }
      }
      continue;
    }
    JsonRef entry(*it, path + ": tensor '" + it.key() + "'");
    StTensorInfo info;
    info.name = it.key();
    HKV_ASSIGN_OR_RETURN(std::string dtype, entry.get<std::string>("dtype"));
    auto known = std::find_if(std::begin(kDTypes), std::end(kDTypes),
                              [&](const DTypeName& d) { return dtype == d.name; });
    if (known == std::end(kDTypes)) {
      return errorf(StatusCode::kUnimplemented, "%s: dtype '%s' is not supported",
                    entry.path().c_str(), dtype.c_str());
    }
    info.dtype = known->dtype;
    HKV_ASSIGN_OR_RETURN(JsonRef shape, entry.at("shape"));
    HKV_ASSIGN_OR_RETURN(info.shape, shape.as_vector<int64_t>());
    HKV_ASSIGN_OR_RETURN(JsonRef offsets_ref, entry.at("data_offsets"));
    HKV_ASSIGN_OR_RETURN(std::vector<uint64_t> offsets, offsets_ref.as_vector<uint64_t>());
    if (offsets.size() != 2 || offsets[0] > offsets[1]) {
      return errorf(StatusCode::kDataLoss,
                    "%s: data_offsets must be [begin, end] with begin <= end",
                    entry.path().c_str());
    }
    info.begin = offsets[0];
    info.end = offsets[1];
    uint64_t elements = 1;
    for (int64_t d : info.shape) {
      if (d < 0 || (d > 0 && elements > (uint64_t{1} << 50) / static_cast<uint64_t>(d))) {
        return errorf(StatusCode::kDataLoss, "%s: shape dimension %lld is negative or overflows",
                      entry.path().c_str(), static_cast<long long>(d));
      }
      elements *= static_cast<uint64_t>(d);
    }
    if (elements * known->size != info.end - info.begin) {
      return errorf(StatusCode::kDataLoss,
                    "%s: %llu elements of %s need %llu bytes, but data_offsets span %llu",
                    entry.path().c_str(), static_cast<unsigned long long>(elements), dtype.c_str(),
                    static_cast<unsigned long long>(elements * known->size),
                    static_cast<unsigned long long>(info.end - info.begin));
    }
    index_[info.name] = tensors_.size();
    tensors_.push_back(std::move(info));
  }
  // The byte ranges must tile the data buffer exactly: sorted, no gaps, no overlaps.
  std::vector<const StTensorInfo*> sorted;
  for (const auto& t : tensors_) {
    sorted.push_back(&t);
  }
  std::sort(sorted.begin(), sorted.end(), [](const StTensorInfo* a, const StTensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t expected = 0;
  for (const StTensorInfo* t : sorted) {
    if (t->begin != expected) {
      return errorf(StatusCode::kDataLoss,
                    "safetensors '%s': tensor '%s' starts at byte %llu, "
                    "expected %llu (%s)",
                    path.c_str(), t->name.c_str(), static_cast<unsigned long long>(t->begin),
                    static_cast<unsigned long long>(expected),
                    t->begin < expected ? "overlaps the previous tensor" : "gap before it");
    }
    expected = t->end;
  }
  uint64_t data_bytes = file_.size() - data_offset_;
  if (expected != data_bytes) {
    return errorf(StatusCode::kDataLoss,
                  "safetensors '%s': tensors cover %llu bytes but the data buffer holds %llu%s",
                  path.c_str(), static_cast<unsigned long long>(expected),
                  static_cast<unsigned long long>(data_bytes),
                  expected > data_bytes ? " (file truncated?)" : "");
  }
  return Status();
}

const StTensorInfo* SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::span<const uint8_t> SafetensorsFile::data(const StTensorInfo& info) const {
  return file_.bytes().subspan(data_offset_ + info.begin, info.end - info.begin);
}

Result<SafetensorsModel> SafetensorsModel::open(const std::string& path) {
  namespace fs = std::filesystem;
  SafetensorsModel model;
  std::vector<std::string> shard_paths;
  std::error_code ec;
  std::map<std::string, std::string> weight_map;  // tensor -> shard file name
  if (!fs::is_directory(path, ec)) {
    shard_paths.push_back(path);
  } else if (fs::exists(path + "/model.safetensors.index.json", ec)) {
    std::string index_path = path + "/model.safetensors.index.json";
    HKV_ASSIGN_OR_RETURN(Json index, read_json_file(index_path));
    HKV_ASSIGN_OR_RETURN(JsonRef map, JsonRef(index, index_path).at("weight_map"));
    if (!map.is_object()) {
      return errorf(StatusCode::kDataLoss, "%s: weight_map is not an object", index_path.c_str());
    }
    for (auto it = map.raw().begin(); it != map.raw().end(); ++it) {
      HKV_ASSIGN_OR_RETURN(std::string shard,
                           JsonRef(*it, map.path() + "." + it.key()).as<std::string>());
      if (shard.find('/') != std::string::npos) {
        return errorf(StatusCode::kInvalidArgument, "%s: shard '%s' must be a file name",
                      index_path.c_str(), shard.c_str());
      }
      weight_map[it.key()] = shard;
      if (std::find(shard_paths.begin(), shard_paths.end(), path + "/" + shard) ==
          shard_paths.end()) {
        shard_paths.push_back(path + "/" + shard);
      }
    }
  } else {
    shard_paths.push_back(path + "/model.safetensors");
  }
  for (const std::string& shard : shard_paths) {
    HKV_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::open(shard));
    model.files_.push_back(std::make_unique<SafetensorsFile>(std::move(file)));
    const SafetensorsFile* f = model.files_.back().get();
    for (const StTensorInfo& t : f->tensors()) {
      if (!model.entries_.emplace(t.name, Entry{f, &t}).second) {
        return errorf(StatusCode::kDataLoss, "tensor '%s' appears in more than one shard (%s)",
                      t.name.c_str(), shard.c_str());
      }
    }
  }
  for (const auto& [name, shard] : weight_map) {
    const Entry* e = model.find(name);
    if (e == nullptr || e->file->path() != path + "/" + shard) {
      return errorf(StatusCode::kDataLoss,
                    "tensor '%s' is listed in %s/model.safetensors.index.json "
                    "under '%s' but is not in that shard",
                    name.c_str(), path.c_str(), shard.c_str());
    }
  }
  return model;
}

const SafetensorsModel::Entry* SafetensorsModel::find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

uint64_t SafetensorsModel::total_bytes() const {
  uint64_t total = 0;
  for (const auto& [name, e] : entries_) {
    total += e.info->end - e.info->begin;
  }
  return total;
}

}  // namespace hkv::model
