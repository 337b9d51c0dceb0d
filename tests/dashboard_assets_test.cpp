// The dashboard files embedded at build time (cmake/embed_assets.cmake).
#include <doctest/doctest.h>

#include <string>

#include "app/dashboard_assets.h"

TEST_CASE("dashboard assets: the page, its script, style and Chart.js are embedded") {
  std::string_view type;
  const std::string_view page = gw::dashboard_asset("/", type);
  CHECK(type == "text/html; charset=utf-8");
  CHECK(page.find("<canvas id=\"device-map\"") != std::string_view::npos);
  CHECK(gw::dashboard_asset("/index.html", type) == page);
  CHECK(gw::dashboard_asset("/app.js", type).find("dashboardState") != std::string_view::npos);
  CHECK(type == "text/javascript; charset=utf-8");
  CHECK(!gw::dashboard_asset("/style.css", type).empty());
  CHECK(type == "text/css; charset=utf-8");
  const std::string_view chart = gw::dashboard_asset("/chart.js", type);
  CHECK(type == "text/javascript; charset=utf-8");
  CHECK(chart.size() > 100'000);
  CHECK(chart.find("Chart.js v") != std::string_view::npos);
  std::string_view untouched = "x";
  CHECK(gw::dashboard_asset("/nothing", untouched).empty());
  CHECK(untouched == "x");
}
