#include "sinks/kafka/avro_encoder.h"

#include <avro.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <utility>

namespace gw {

struct AvroEncoder::Impl {
  avro_schema_t schema = nullptr;
  avro_value_iface_t* iface = nullptr;
  avro_value_t value{};
  bool has_value = false;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (has_value) avro_value_decref(&value);
    if (iface != nullptr) avro_value_iface_decref(iface);
    if (schema != nullptr) avro_schema_decref(schema);
  }
};

namespace {

constexpr auto kParseFlags = rapidjson::kParseFullPrecisionFlag;

const char* json_type_name(const rapidjson::Value& j) {
  if (j.IsNull()) return "null";
  if (j.IsBool()) return "boolean";
  if (j.IsInt64() || j.IsUint64()) return "integer";
  if (j.IsNumber()) return "number";
  if (j.IsString()) return "string";
  if (j.IsObject()) return "object";
  return "array";
}

const char* avro_type_name(avro_type_t t) {
  switch (t) {
    case AVRO_STRING:
      return "string";
    case AVRO_BYTES:
      return "bytes";
    case AVRO_INT32:
      return "int";
    case AVRO_INT64:
      return "long";
    case AVRO_FLOAT:
      return "float";
    case AVRO_DOUBLE:
      return "double";
    case AVRO_BOOLEAN:
      return "boolean";
    case AVRO_NULL:
      return "null";
    case AVRO_RECORD:
      return "record";
    case AVRO_ENUM:
      return "enum";
    case AVRO_FIXED:
      return "fixed";
    case AVRO_MAP:
      return "map";
    case AVRO_ARRAY:
      return "array";
    case AVRO_UNION:
      return "union";
    case AVRO_LINK:
      return "link";
  }
  return "unknown";
}

avro_schema_t resolve_link(avro_schema_t s) {
  while (s != nullptr && is_avro_link(s)) s = avro_schema_link_target(s);
  return s;
}

// Fills one Avro value from one JSON value; `path` names the field being filled.
class Filler {
 public:
  explicit Filler(std::string& error) : error_(error) {}

  bool fill(avro_value_t& v, const rapidjson::Value& j) {
    const avro_type_t type = avro_value_get_type(&v);
    switch (type) {
      case AVRO_RECORD:
        return fill_record(v, j);
      case AVRO_UNION:
        return fill_union(v, j);
      case AVRO_STRING:
        if (!j.IsString()) return type_error("string", j);
        // The size passed to libavro includes the terminating NUL, which RapidJSON provides.
        return check(avro_value_set_string_len(&v, j.GetString(), j.GetStringLength() + 1));
      case AVRO_BYTES:
        if (!j.IsString()) return type_error("bytes", j);
        return check(
            avro_value_set_bytes(&v, const_cast<char*>(j.GetString()), j.GetStringLength()));
      case AVRO_INT32:
        if (j.IsInt()) return check(avro_value_set_int(&v, j.GetInt()));
        if (j.IsInt64() || j.IsUint64()) return range_error("int", j);
        return type_error("int", j);
      case AVRO_INT64:
        if (j.IsInt64()) return check(avro_value_set_long(&v, j.GetInt64()));
        if (j.IsUint64()) return range_error("long", j);
        return type_error("long", j);
      case AVRO_FLOAT:
        if (!j.IsNumber()) return type_error("float", j);
        return check(avro_value_set_float(&v, static_cast<float>(j.GetDouble())));
      case AVRO_DOUBLE:
        if (!j.IsNumber()) return type_error("double", j);
        return check(avro_value_set_double(&v, j.GetDouble()));
      case AVRO_BOOLEAN:
        if (!j.IsBool()) return type_error("boolean", j);
        return check(avro_value_set_boolean(&v, j.GetBool() ? 1 : 0));
      case AVRO_NULL:
        if (!j.IsNull()) return type_error("null", j);
        return check(avro_value_set_null(&v));
      case AVRO_ENUM:
        return fill_enum(v, j);
      case AVRO_FIXED:
        return fill_fixed(v, j);
      case AVRO_MAP:
        return fill_map(v, j);
      case AVRO_ARRAY:
        return fill_array(v, j);
      case AVRO_LINK:
        break;
    }
    return fail(std::string("unsupported Avro type ") + avro_type_name(type));
  }

  // The first union branch of type null, or -1.
  static int null_branch(avro_value_t& v) {
    const avro_schema_t s = avro_value_get_schema(&v);
    const auto n = static_cast<int>(avro_schema_union_size(s));
    for (int i = 0; i < n; ++i)
      if (is_avro_null(resolve_link(avro_schema_union_branch(s, i)))) return i;
    return -1;
  }

 private:
  bool fill_record(avro_value_t& v, const rapidjson::Value& j) {
    if (!j.IsObject()) return type_error("record", j);
    std::size_t count = 0;
    if (!check(avro_value_get_size(&v, &count))) return false;
    const std::size_t path_size = path_.size();
    for (std::size_t i = 0; i < count; ++i) {
      avro_value_t field;
      const char* name = nullptr;
      if (!check(avro_value_get_by_index(&v, i, &field, &name))) return false;
      if (path_size > 0) path_ += '.';
      path_ += name;
      const auto it = j.FindMember(name);
      if (it == j.MemberEnd()) {
        if (!fill_missing(field)) return false;
      } else if (!fill(field, it->value)) {
        return false;
      }
      path_.resize(path_size);
    }
    return true;
  }

  // An absent field is null if its type allows it, else an error.
  bool fill_missing(avro_value_t& field) {
    const avro_type_t type = avro_value_get_type(&field);
    if (type == AVRO_NULL) return check(avro_value_set_null(&field));
    if (type == AVRO_UNION) {
      const int branch = null_branch(field);
      if (branch >= 0) {
        avro_value_t b;
        return check(avro_value_set_branch(&field, branch, &b)) && check(avro_value_set_null(&b));
      }
    }
    return fail("missing");
  }

  bool fill_union(avro_value_t& v, const rapidjson::Value& j) {
    const avro_schema_t s = avro_value_get_schema(&v);
    const auto n = static_cast<int>(avro_schema_union_size(s));
    std::string names;
    std::string nested_error;  // the error of a structured branch, if the value is structured
    for (int i = 0; i < n; ++i) {
      const avro_schema_t bs = resolve_link(avro_schema_union_branch(s, i));
      if (!names.empty()) names += ", ";
      names += avro_type_name(avro_typeof(bs));
      avro_value_t b;
      if (!check(avro_value_set_branch(&v, i, &b))) return false;
      avro_value_reset(&b);
      std::string branch_error;
      Filler inner(branch_error);
      inner.path_ = path_;
      if (inner.fill(b, j)) return true;
      const bool structured = (j.IsObject() && (is_avro_record(bs) || is_avro_map(bs))) ||
                              (j.IsArray() && is_avro_array(bs));
      if (structured && nested_error.empty()) nested_error = std::move(branch_error);
    }
    if (!nested_error.empty()) {
      error_ = std::move(nested_error);
      return false;
    }
    return fail("expected one of [" + names + "], got " + json_type_name(j));
  }

  bool fill_enum(avro_value_t& v, const rapidjson::Value& j) {
    if (!j.IsString()) return type_error("enum", j);
    const int index = avro_schema_enum_get_by_name(avro_value_get_schema(&v), j.GetString());
    if (index < 0) return fail(std::string("'") + j.GetString() + "' is not a symbol of the enum");
    return check(avro_value_set_enum(&v, index));
  }

  bool fill_fixed(avro_value_t& v, const rapidjson::Value& j) {
    if (!j.IsString()) return type_error("fixed", j);
    const std::int64_t size = avro_schema_fixed_size(avro_value_get_schema(&v));
    if (static_cast<std::int64_t>(j.GetStringLength()) != size)
      return fail("expected " + std::to_string(size) + " bytes, got " +
                  std::to_string(j.GetStringLength()));
    return check(
        avro_value_set_fixed(&v, const_cast<char*>(j.GetString()), static_cast<std::size_t>(size)));
  }

  bool fill_map(avro_value_t& v, const rapidjson::Value& j) {
    if (!j.IsObject()) return type_error("map", j);
    const std::size_t path_size = path_.size();
    for (const auto& m : j.GetObject()) {
      avro_value_t child;
      if (!check(avro_value_add(&v, m.name.GetString(), &child, nullptr, nullptr))) return false;
      path_ += '[';
      path_.append(m.name.GetString(), m.name.GetStringLength());
      path_ += ']';
      if (!fill(child, m.value)) return false;
      path_.resize(path_size);
    }
    return true;
  }

  bool fill_array(avro_value_t& v, const rapidjson::Value& j) {
    if (!j.IsArray()) return type_error("array", j);
    const std::size_t path_size = path_.size();
    std::size_t index = 0;
    for (const auto& item : j.GetArray()) {
      avro_value_t child;
      if (!check(avro_value_append(&v, &child, nullptr))) return false;
      path_ += '[' + std::to_string(index++) + ']';
      if (!fill(child, item)) return false;
      path_.resize(path_size);
    }
    return true;
  }

  bool check(int rc) {
    if (rc == 0) return true;
    return fail(std::string("libavro: ") + avro_strerror());
  }
  bool type_error(const char* expected, const rapidjson::Value& j) {
    return fail(std::string("expected ") + expected + ", got " + json_type_name(j));
  }
  bool range_error(const char* expected, const rapidjson::Value& j) {
    const std::string value =
        j.IsInt64() ? std::to_string(j.GetInt64()) : std::to_string(j.GetUint64());
    return fail("value " + value + " is out of range for " + expected);
  }
  bool fail(const std::string& message) {
    error_ = path_.empty() ? "record: " + message : "field '" + path_ + "': " + message;
    return false;
  }

  std::string& error_;
  std::string path_;
};

}  // namespace

AvroEncoder::AvroEncoder(std::unique_ptr<Impl> impl, std::string canonical, std::string full_name)
    : impl_(std::move(impl)), canonical_(std::move(canonical)), full_name_(std::move(full_name)) {}

AvroEncoder::~AvroEncoder() = default;

std::unique_ptr<AvroEncoder> AvroEncoder::create(const std::string& schema_json,
                                                 std::string& error) {
  rapidjson::Document doc;
  doc.Parse<kParseFlags>(schema_json.data(), schema_json.size());
  if (doc.HasParseError()) {
    error = "schema is not valid JSON (offset " + std::to_string(doc.GetErrorOffset()) +
            "): " + rapidjson::GetParseError_En(doc.GetParseError());
    return nullptr;
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  doc.Accept(writer);
  std::string canonical(buf.GetString(), buf.GetSize());

  auto impl = std::make_unique<Impl>();
  if (avro_schema_from_json_length(schema_json.data(), schema_json.size(), &impl->schema) != 0) {
    impl->schema = nullptr;
    error = std::string("invalid Avro schema: ") + avro_strerror();
    return nullptr;
  }
  impl->iface = avro_generic_class_from_schema(impl->schema);
  if (impl->iface == nullptr) {
    error = std::string("libavro cannot use the schema: ") + avro_strerror();
    return nullptr;
  }
  if (avro_generic_value_new(impl->iface, &impl->value) != 0) {
    error = std::string("libavro: ") + avro_strerror();
    return nullptr;
  }
  impl->has_value = true;

  std::string full_name;
  if (is_avro_named_type(impl->schema)) {
    const char* space = avro_schema_namespace(impl->schema);
    if (space != nullptr && *space != '\0') full_name = std::string(space) + '.';
    full_name += avro_schema_name(impl->schema);
  } else {
    full_name = avro_type_name(avro_typeof(impl->schema));
  }
  return std::unique_ptr<AvroEncoder>(
      new AvroEncoder(std::move(impl), std::move(canonical), std::move(full_name)));
}

bool AvroEncoder::encode(std::string_view json_record, std::int32_t schema_id, std::string& out,
                         std::string& error) const {
  rapidjson::Document doc;
  doc.Parse<kParseFlags>(json_record.data(), json_record.size());
  if (doc.HasParseError()) {
    error = "record is not valid JSON (offset " + std::to_string(doc.GetErrorOffset()) +
            "): " + rapidjson::GetParseError_En(doc.GetParseError());
    return false;
  }
  avro_value_t& value = impl_->value;
  if (avro_value_reset(&value) != 0) {
    error = std::string("libavro: ") + avro_strerror();
    return false;
  }
  Filler filler(error);
  if (!filler.fill(value, doc)) return false;

  std::size_t size = 0;
  if (avro_value_sizeof(&value, &size) != 0) {
    error = std::string("libavro: ") + avro_strerror();
    return false;
  }
  constexpr std::size_t kHeader = 5;
  out.assign(kHeader + size, '\0');
  const auto id = static_cast<std::uint32_t>(schema_id);
  out[0] = '\0';
  out[1] = static_cast<char>((id >> 24) & 0xFF);
  out[2] = static_cast<char>((id >> 16) & 0xFF);
  out[3] = static_cast<char>((id >> 8) & 0xFF);
  out[4] = static_cast<char>(id & 0xFF);
  if (size == 0) return true;
  avro_writer_t writer = avro_writer_memory(out.data() + kHeader, static_cast<std::int64_t>(size));
  if (writer == nullptr) {
    error = std::string("libavro: ") + avro_strerror();
    return false;
  }
  const int rc = avro_value_write(writer, &value);
  const std::int64_t written = avro_writer_tell(writer);
  avro_writer_free(writer);
  if (rc != 0) {
    error = std::string("libavro: cannot write the record: ") + avro_strerror();
    return false;
  }
  if (written != static_cast<std::int64_t>(size)) {
    error = "libavro wrote " + std::to_string(written) + " bytes, expected " + std::to_string(size);
    return false;
  }
  return true;
}

}  // namespace gw
