// Test helper: a pipeline snapshot (Pipeline::snapshot()) with its watermark replaced, to make
// a saved state the gateway must refuse.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

#include "core/time.h"

namespace test {

inline std::string with_watermark(const std::string& snapshot, gw::TimeMs max_seen,
                                  gw::TimeMs value) {
  rapidjson::Document d;
  d.Parse(snapshot.c_str());
  d["watermark"]["max_seen"].SetInt64(max_seen);
  d["watermark"]["value"].SetInt64(value);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  return buf.GetString();
}

}  // namespace test
