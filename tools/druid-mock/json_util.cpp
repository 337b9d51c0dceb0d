#include "json_util.h"

namespace druid_mock {

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  const auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string string_member(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = member(obj, name);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                       : std::string();
}

std::string to_json(const rapidjson::Value& value) {
  return written_json([&](JsonWriter& w) { value.Accept(w); });
}

void write_string(JsonWriter& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_strings(JsonWriter& w,
                   std::initializer_list<std::pair<const char*, std::string_view>> members) {
  for (const auto& [name, text] : members) {
    w.Key(name);
    write_string(w, text);
  }
}

void write_numbers(JsonWriter& w,
                   std::initializer_list<std::pair<const char*, std::int64_t>> members) {
  for (const auto& [name, value] : members) {
    w.Key(name);
    w.Int64(value);
  }
}

std::string json_string(std::string_view text) {
  return written_json([&](JsonWriter& w) { write_string(w, text); });
}

std::string druid_exception(std::string_view error_code, std::string_view category,
                            std::string_view message) {
  return written_json([&](JsonWriter& w) {
    w.StartObject();
    write_strings(w, {{"error", "druidException"},
                      {"errorCode", error_code},
                      {"persona", "USER"},
                      {"category", category},
                      {"errorMessage", message}});
    w.Key("context");
    w.StartObject();
    w.EndObject();
    w.EndObject();
  });
}

std::string invalid_input(std::string_view message) {
  return druid_exception("invalidInput", "INVALID_INPUT", message);
}

std::string legacy_error(std::string_view error, std::string_view message,
                         std::string_view error_class) {
  return written_json([&](JsonWriter& w) {
    w.StartObject();
    write_strings(w, {{"error", error}, {"errorMessage", message}});
    w.Key("errorClass");
    if (error_class.empty())
      w.Null();
    else
      write_string(w, error_class);
    w.Key("host");
    w.Null();
    w.EndObject();
  });
}

}  // namespace druid_mock
