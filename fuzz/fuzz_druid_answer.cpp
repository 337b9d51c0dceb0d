// Druid's JSON answers: the error text of a failed call (gw::druid_error_text, gw::druid_answer),
// a task's status (gw::parse_task_status) and a finished task's report (gw::parse_task_row_stats),
// as DruidClient reads them.
//
// Input layout: fuzz::http_answer() (the HTTP status on the first line, then the body).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "sinks/druid/druid_client.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::HttpAnswer in = fuzz::http_answer(fuzz::bytes(data, size));
  const std::string text = gw::druid_error_text(in.body);
  if (text.empty() != in.body.empty()) __builtin_trap();
  const gw::DruidAnswer answer = gw::druid_answer(in.status, in.body, "submitting a task");
  if (!answer.reached || answer.status != in.status) __builtin_trap();
  const gw::DruidTaskStatus st = gw::parse_task_status("index_parallel_fuzz", in.status, in.body);
  if (in.status != 200 && st.state != gw::DruidTaskState::unknown) __builtin_trap();
  // Without a state, the answer says why (but a 2xx other than 200 is neither).
  const bool other_2xx = in.status > 200 && in.status < 300;
  if (st.state == gw::DruidTaskState::unknown && st.answer.message.empty() && !other_2xx)
    __builtin_trap();
  // Row counts are counts: never negative, whatever the report says.
  if (const auto rows = gw::parse_task_row_stats(in.body))
    if (rows->processed < 0 || rows->processed_with_error < 0 || rows->thrown_away < 0 ||
        rows->unparseable < 0)
      __builtin_trap();
  return 0;
}
