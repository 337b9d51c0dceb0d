// The options the gateway runs with, shared with the HTTP thread; a reload swaps them.
#pragma once

#include <memory>
#include <mutex>

#include "config/options.h"

namespace gw {

class LiveOptions {
 public:
  explicit LiveOptions(Options o) : current_(std::make_shared<const Options>(std::move(o))) {}
  std::shared_ptr<const Options> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void set(Options o) {
    auto next = std::make_shared<const Options>(std::move(o));
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Options> current_;
};

}  // namespace gw
