// The device registry: every access device the gateway knows, and the store it belongs to.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gw {

// A device as the registry holds it: its strings are views into the registry's own storage
// (or, outside a registry, into whatever the maker keeps alive).
struct Device {
  std::string_view id;  // UUID-shaped
  std::string_view store_id;
  double lat = 0, lon = 0;
  std::string_view country_code, region, city, timezone;
  std::string_view loc;  // "lat,lon" exactly as registered
};

// A device being built (from a devices file, or generated): owns its strings.
struct DeviceSpec {
  std::string id;
  std::string store_id;
  double lat = 0, lon = 0;
  std::string country_code, region, city, timezone;
  std::string loc;
  Device view() const {
    return {id, store_id, lat, lon, country_code, region, city, timezone, loc};
  }
};

class DeviceRegistry {
 public:
  DeviceRegistry() = default;
  DeviceRegistry(DeviceRegistry&&) = default;
  DeviceRegistry& operator=(DeviceRegistry&&) = default;
  DeviceRegistry(const DeviceRegistry&) = delete;  // its devices point into its storage
  DeviceRegistry& operator=(const DeviceRegistry&) = delete;

  // Copies the device's strings in. Returns false if the id is already present (the first one
  // wins).
  bool add(const Device& d);
  bool add(const DeviceSpec& d) { return add(d.view()); }
  // Expected number of devices: reserves room for them.
  void reserve(std::size_t devices);
  // Devices are handed out by value: views into the registry's storage, valid while it lives.
  std::optional<Device> find(std::string_view id) const;
  std::optional<std::uint32_t> index_of(std::string_view id) const;
  Device at(std::uint32_t index) const;
  std::size_t size() const { return devices_.size(); }
  // A hash of every device's id, in order: which registry device indices refer to.
  std::uint64_t ids_hash() const { return ids_hash_; }

  // Every device, in order: `for (const Device& d : registry.all())`.
  class Range {
   public:
    class iterator {
     public:
      Device operator*() const { return r_->at(i_); }
      iterator& operator++() {
        ++i_;
        return *this;
      }
      bool operator!=(const iterator& o) const { return i_ != o.i_; }

     private:
      friend class Range;
      iterator(const DeviceRegistry* r, std::uint32_t i) : r_(r), i_(i) {}
      const DeviceRegistry* r_;
      std::uint32_t i_;
    };
    iterator begin() const { return {r_, 0}; }
    iterator end() const { return {r_, static_cast<std::uint32_t>(r_->size())}; }
    Device operator[](std::size_t i) const { return r_->at(static_cast<std::uint32_t>(i)); }

   private:
    friend class DeviceRegistry;
    explicit Range(const DeviceRegistry* r) : r_(r) {}
    const DeviceRegistry* r_;
  };
  Range all() const { return Range(this); }

 private:
  // Strings stored once, in blocks that never move: ids and locations one after the other,
  // the store-level ones (store, country, region, city, time zone) shared.
  std::string_view store(std::string_view s);
  std::string_view shared(std::string_view s);
  std::uint32_t place_of(const Device& d);

  // What devices of one store and place share.
  struct Place {
    std::string_view store_id, country_code, region, city, timezone;
    bool operator==(const Place&) const = default;
  };
  // A device as kept: 40 bytes (a Device of views is 128).
  struct Packed {
    const char* id;
    const char* loc;
    double lat, lon;
    std::uint16_t id_size, loc_size;
    std::uint32_t place;
  };

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_left_ = 0;
  char* block_next_ = nullptr;
  std::unordered_set<std::string_view, Hash> shared_;
  std::vector<Place> places_;
  std::vector<Packed> devices_;
  std::unordered_map<std::string_view, std::uint32_t, Hash> index_;
  std::uint64_t ids_hash_ = 0;
};

}  // namespace gw
