#include "sources/devices_file.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gw {
namespace {

Diagnostic at_offset(const std::string& file, const std::string& text, std::size_t offset,
                     std::string message) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {file, line, col, std::move(message)};
}

bool parse_loc(const std::string& loc, double& lat, double& lon) {
  const auto comma = loc.find(',');
  if (comma == std::string::npos) return false;
  char* end = nullptr;
  const std::string a = loc.substr(0, comma), b = loc.substr(comma + 1);
  lat = std::strtod(a.c_str(), &end);
  if (a.empty() || *end != '\0' || lat < -90 || lat > 90) return false;
  lon = std::strtod(b.c_str(), &end);
  if (b.empty() || *end != '\0' || lon < -180 || lon > 180) return false;
  return true;
}

std::string get_string(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return {};
  const auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

std::vector<DeviceSpec> parse_devices_json(const std::string& file, const std::string& json,
                                           Diagnostics& errors) {
  std::vector<DeviceSpec> out;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.c_str(), json.size());
  if (doc.HasParseError()) {
    errors.push_back(at_offset(
        file, json, doc.GetErrorOffset(),
        std::string("invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError())));
    return out;
  }
  if (!doc.IsArray()) {
    errors.push_back({file, 1, 1, "expected a JSON array of devices"});
    return out;
  }
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const auto& item = doc[i];
    const std::string where = "device #" + std::to_string(i + 1);
    DeviceSpec d;
    d.id = get_string(item, "deviceId");
    const rapidjson::Value* location = nullptr;
    if (item.IsObject() && item.HasMember("payload") && item["payload"].IsObject() &&
        item["payload"].HasMember("location") && item["payload"]["location"].IsObject())
      location = &item["payload"]["location"];
    if (d.id.empty() || !location) {
      errors.push_back({file, 1, 1, where + ": needs a string deviceId and payload.location"});
      continue;
    }
    d.country_code = get_string(*location, "countryCode");
    d.region = get_string(*location, "region");
    d.city = get_string(*location, "city");
    d.timezone = get_string(*location, "timezone");
    d.loc = get_string(*location, "loc");
    if (!parse_loc(d.loc, d.lat, d.lon)) {
      errors.push_back(
          {file, 1, 1,
           where + " (" + d.id + "): payload.location.loc '" + d.loc + "' is not \"lat,lon\""});
      continue;
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<DeviceSpec> read_devices_file(const std::string& file, Diagnostics& errors) {
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    errors.push_back(
        {file, 1, 1, std::string("cannot read the devices file: ") + std::strerror(errno)});
    return {};
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse_devices_json(file, ss.str(), errors);
}

}  // namespace gw
