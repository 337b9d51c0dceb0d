#include "task_rows.h"

#include <rapidjson/document.h>

#include <string_view>

#include "json_util.h"

namespace druid_mock {
namespace {

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::string shortened(std::string_view line) {
  constexpr std::size_t kMax = 200;
  return line.size() <= kMax ? std::string(line) : std::string(line.substr(0, kMax)) + "...";
}

// The row's timestamp, or nullopt and why not.
std::optional<std::int64_t> row_timestamp(std::string_view line, const TimestampSpec& ts,
                                          std::string& why) {
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    why = "Unable to parse row [" + shortened(line) + "] as a JSON object";
    return std::nullopt;
  }
  const auto it = doc.FindMember(ts.column.c_str());
  if (it == doc.MemberEnd() || it->value.IsNull()) {
    if (ts.missing_millis) return ts.missing_millis;
    why = "Timestamp[null] is unparseable! Event: " + shortened(line);
    return std::nullopt;
  }
  if (auto millis = parse_timestamp(it->value, ts.format)) return millis;
  const std::string value = it->value.IsString()
                                ? std::string(it->value.GetString(), it->value.GetStringLength())
                                : to_json(it->value);
  why = "Timestamp[" + shortened(value) + "] in column [" + ts.column +
        "] is unparseable! Event: " + shortened(line);
  return std::nullopt;
}

}  // namespace

TaskRows read_rows(const TaskSpec& spec) {
  TaskRows out;
  const std::string_view data = spec.data;
  std::size_t pos = 0;
  long line_number = 0;
  while (pos < data.size()) {
    const std::size_t nl = data.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? data.size() : nl;
    std::string_view line = data.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (blank(line)) continue;
    std::string why;
    if (const auto millis = row_timestamp(line, spec.timestamp, why)) {
      out.rows.push_back({std::string(line), *millis});
      continue;
    }
    if (++out.unparseable > spec.max_parse_exceptions) {
      out.error = "Max parse exceptions[" + std::to_string(spec.max_parse_exceptions) +
                  "] exceeded at line " + std::to_string(line_number) + ": " + why;
      break;
    }
  }
  return out;
}

}  // namespace druid_mock
