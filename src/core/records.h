// JSON encoding of the six streams' records, exactly the fields of contract section 3.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/device.h"
#include "core/event.h"
#include "core/stream.h"

namespace gw {

struct SalesAggregate {
  std::string_view store_id;
  TimeMs window_start = 0, window_end = 0;
  std::int64_t aggregated_sales = 0, sales_count = 0;
};

struct Alert {
  TimeMs window_start = 0, window_end = 0;
  std::int64_t total_count_per_deviceid = 0;
  Device device;
  double avg_error_count = 0, std_error_count = 0;
};

// Encodes one record; gateway_id is stamped on every record.
class RecordEncoder {
 public:
  explicit RecordEncoder(std::string gateway_id);
  // Each writes into `r` (its strings' storage reused) ...
  void sale(const SaleEvent& e, Record& r) const;
  void device(const Device& d, Record& r) const;
  void event(const AccessEvent& e, Record& r) const;
  void event_geo(const AccessEvent& e, const Device& d, Record& r) const;
  void sales_aggregate(const SalesAggregate& a, Record& r) const;
  void alert(const Alert& a, Record& r) const;
  // ... or returns a new record.
  Record sale(const SaleEvent& e) const { return make(&RecordEncoder::sale, e); }
  Record device(const Device& d) const { return make(&RecordEncoder::device, d); }
  Record event(const AccessEvent& e) const { return make(&RecordEncoder::event, e); }
  Record event_geo(const AccessEvent& e, const Device& d) const {
    Record r;
    event_geo(e, d, r);
    return r;
  }
  Record sales_aggregate(const SalesAggregate& a) const {
    return make(&RecordEncoder::sales_aggregate, a);
  }
  Record alert(const Alert& a) const { return make(&RecordEncoder::alert, a); }
  const std::string& gateway_id() const { return gateway_id_; }
  // How every record's value ends: `,"gateway_id":"<the id, escaped>"}`.
  const std::string& closing() const { return closing_; }

 private:
  template <class T>
  Record make(void (RecordEncoder::*encode)(const T&, Record&) const, const T& in) const {
    Record r;
    (this->*encode)(in, r);
    return r;
  }

  std::string gateway_id_;
  std::string closing_;  // `,"gateway_id":"...."}`: the end of every record, encoded once
};

inline constexpr std::string_view kAccessMessageName = "operatingNotification";
inline constexpr std::string_view kAccessGranted = "accessGranted";
inline constexpr std::string_view kAccessRejected = "accessRejected";

}  // namespace gw
