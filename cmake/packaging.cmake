# Install rules and the Debian package (CPack DEB). Included at the end of CMakeLists.txt.
#
#   cmake --install build --prefix /usr          # binary, data, docs under /usr; config and unit
#                                                # under the absolute paths below
#   cd build && cpack -G DEB                     # iot-gateway_<version>-<release>_<arch>.deb
#
# The binary looks for its schemas in /usr/share/iot-gateway/schemas: install with prefix /usr
# (the package does), or point $IOT_GATEWAY_SCHEMAS at <prefix>/share/iot-gateway/schemas.
# scripts/package.sh builds, checks (lintian, systemd-analyze) and optionally installs the .deb.
include(GNUInstallDirs)

# Absolute on purpose: with any prefix the config goes to /etc and the unit to Debian 12's unit
# folder (DESTDIR is still honoured).
set(IOT_GATEWAY_SYSCONFDIR "/etc" CACHE PATH "Where iot-gateway/iot-gateway.yaml is installed")
set(IOT_GATEWAY_SYSTEMD_UNITDIR "/lib/systemd/system" CACHE PATH
    "Where iot-gateway.service is installed")
set(IOT_GATEWAY_PACKAGE_RELEASE "1" CACHE STRING "Debian revision of the package")
set(IOT_GATEWAY_PACKAGE_DATE "" CACHE STRING
    "RFC 5322 date of the Debian changelog entry (default: the last commit's date, else now)")

set(PACKAGING_DIR ${CMAKE_SOURCE_DIR}/packaging/deb)
set(PACKAGING_GENERATED ${CMAKE_BINARY_DIR}/packaging)
set(IOT_GATEWAY_SHAREDIR ${CMAKE_INSTALL_DATADIR}/iot-gateway)

install(TARGETS iot-gateway RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/config/iot-gateway.yaml
        DESTINATION ${IOT_GATEWAY_SYSCONFDIR}/iot-gateway)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/iot-gateway.service
        DESTINATION ${IOT_GATEWAY_SYSTEMD_UNITDIR})
file(GLOB IOT_GATEWAY_SCHEMA_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/schemas/*.avsc)
install(FILES ${IOT_GATEWAY_SCHEMA_FILES} DESTINATION ${IOT_GATEWAY_SHAREDIR}/schemas)
# The Zürich device registry, where the config's commented `simulator.devices_file` points.
install(FILES ${CMAKE_SOURCE_DIR}/data/devices_zurich.json
              ${CMAKE_SOURCE_DIR}/data/devices_zurich.LICENSE
        DESTINATION ${IOT_GATEWAY_SHAREDIR})
# LICENSE is not installed: Debian's copyright file (below) carries the same text.
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/ARCHITECTURE.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# deploy/ (the back end's compose file, Druid and Superset setup) as documentation: no file
# executable under /usr/share/doc, no VCS files, never a local .env with secrets.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/deploy DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        PATTERN ".env" EXCLUDE
        PATTERN ".gitignore" EXCLUDE
        PATTERN ".gitkeep" EXCLUDE
        PATTERN "__pycache__" EXCLUDE)

# Debian's copyright file, changelog.Debian.gz and the man page, compressed as lintian wants
# (gzip -9n: no name, no timestamp).
find_program(GZIP_EXECUTABLE gzip REQUIRED)
if(NOT IOT_GATEWAY_PACKAGE_DATE)
  find_package(Git QUIET)
  if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%aD
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE IOT_GATEWAY_PACKAGE_DATE OUTPUT_STRIP_TRAILING_WHITESPACE
                    ERROR_QUIET)
  endif()
  if(NOT IOT_GATEWAY_PACKAGE_DATE)
    string(TIMESTAMP IOT_GATEWAY_PACKAGE_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
  endif()
endif()
set(IOT_GATEWAY_MAINTAINER "iot-gateway maintainers <maintainers@users.noreply.r-seed-c3e32a01.example>"
    CACHE STRING "Maintainer of the Debian package")
set(IOT_GATEWAY_DEB_VERSION "${PROJECT_VERSION}-${IOT_GATEWAY_PACKAGE_RELEASE}")
configure_file(${PACKAGING_DIR}/changelog.Debian.in ${PACKAGING_GENERATED}/changelog.Debian @ONLY)
add_custom_command(
  OUTPUT ${PACKAGING_GENERATED}/changelog.Debian.gz
  COMMAND ${GZIP_EXECUTABLE} -9nc ${PACKAGING_GENERATED}/changelog.Debian >
          ${PACKAGING_GENERATED}/changelog.Debian.gz
  DEPENDS ${PACKAGING_GENERATED}/changelog.Debian
  COMMENT "Compressing changelog.Debian")
add_custom_command(
  OUTPUT ${PACKAGING_GENERATED}/iot-gateway.1.gz
  COMMAND ${GZIP_EXECUTABLE} -9nc ${CMAKE_SOURCE_DIR}/man/iot-gateway.1 >
          ${PACKAGING_GENERATED}/iot-gateway.1.gz
  DEPENDS ${CMAKE_SOURCE_DIR}/man/iot-gateway.1
  COMMENT "Compressing the man page")
add_custom_target(packaging-docs ALL DEPENDS ${PACKAGING_GENERATED}/changelog.Debian.gz
                                             ${PACKAGING_GENERATED}/iot-gateway.1.gz)
install(FILES ${PACKAGING_DIR}/copyright ${PACKAGING_GENERATED}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PACKAGING_GENERATED}/iot-gateway.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PACKAGING_DIR}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME iot-gateway)

# CPack: one Debian package.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME iot-gateway)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${IOT_GATEWAY_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${IOT_GATEWAY_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${IOT_GATEWAY_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# First line: the synopsis; the rest: the extended description (CPack indents it).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "edge gateway for retail store sensors
iot-gateway is one process on the edge gateway of a retail store. It reads
the store's sensors (point-of-sale sales and door-access devices, simulated
or posted to its HTTP endpoint), enriches access events with the device
registry, aggregates sales in event-time windows and raises anomaly alerts.
.
Every record is committed to a durable SQLite store-and-forward buffer before
it is shipped, at least once, to Kafka (JSON or Avro with a schema registry),
Druid and files. A local HTTP endpoint serves health, readiness, Prometheus
metrics, a JSON API and a live dashboard.
.
The package runs it as the hardened systemd service iot-gateway.service,
configured in /etc/iot-gateway/iot-gateway.yaml.")
# The config is a conffile (CMake 3.25 does not add /etc files by itself); maintainer scripts
# do what dh_installsystemd would.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PACKAGING_DIR}/conffiles;${PACKAGING_DIR}/postinst;${PACKAGING_DIR}/prerm;${PACKAGING_DIR}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
