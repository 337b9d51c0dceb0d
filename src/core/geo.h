// Great-circle distance and small offsets on the WGS84 sphere approximation.
#pragma once

#include <cmath>

namespace gw {

inline constexpr double kEarthRadiusM = 6'371'000.0;
inline constexpr double kPi = 3.14159265358979323846;

inline double haversine_m(double lat1, double lon1, double lat2, double lon2) {
  const double r = kPi / 180.0;
  const double dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * r) * std::cos(lat2 * r) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::sqrt(a));
}

}  // namespace gw
