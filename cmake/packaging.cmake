# What `cmake --install` puts where, and the Debian package CPack makes of
# it (`cpack -G DEB` in a build directory, or scripts/package.sh). The
# package: /usr/bin/dashstream, the systemd unit, /etc/dashstream (the
# example configuration and a secrets file, both conffiles), the browser
# UI under /usr/share/dashstream/ui when ui/dist was built, and maintainer
# scripts that create the `dashstream` system user. Its dependencies come
# from dpkg-shlibdeps on the binary, so the image's runtime stage installs
# only the libraries the binary links.
include(GNUInstallDirs)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "DashFlow telemetry from Kafka, validated and served live")
set(ds_debian ${PROJECT_SOURCE_DIR}/deploy/debian)

install(TARGETS dashstream RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Debian 12 keeps system units under /lib (usrmerge links it to /usr/lib).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/dashstream.service
        DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/config/dashstream.example.toml
        DESTINATION /etc/dashstream RENAME dashstream.toml)
# Shipped without secrets; the postinst makes it 0640 root:dashstream.
install(FILES ${ds_debian}/dashstream.env DESTINATION /etc/dashstream)
install(FILES ${ds_debian}/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Each remaining lintian tag, with the reason it stays.
install(FILES ${ds_debian}/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME dashstream)

# Debian wants the changelog compressed with -n (no name or time stamp) so
# that the package is reproducible.
set(ds_changelog ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz)
add_custom_command(OUTPUT ${ds_changelog}
  COMMAND gzip -9nc ${ds_debian}/changelog > ${ds_changelog}
  DEPENDS ${ds_debian}/changelog VERBATIM)
add_custom_target(ds_package_changelog ALL DEPENDS ${ds_changelog})
install(FILES ${ds_changelog} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The man page, from the program's own --help and --version, so it cannot
# drift from them (help2man: scripts/setup.sh installs it).
find_program(DS_HELP2MAN help2man)
if(DS_HELP2MAN)
  set(ds_man ${CMAKE_BINARY_DIR}/packaging/dashstream.1.gz)
  add_custom_command(OUTPUT ${ds_man}
    COMMAND ${DS_HELP2MAN} --no-info --section=1
            --name=${CPACK_PACKAGE_DESCRIPTION_SUMMARY}
            --output=${CMAKE_BINARY_DIR}/packaging/dashstream.1
            $<TARGET_FILE:dashstream>
    COMMAND gzip -9nf ${CMAKE_BINARY_DIR}/packaging/dashstream.1
    DEPENDS dashstream VERBATIM)
  add_custom_target(ds_package_man ALL DEPENDS ${ds_man})
  install(FILES ${ds_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  ds_missing_tool("help2man not found (scripts/setup.sh installs it): the "
                 "package will have no man page")
endif()

# The UI is built by scripts/ui.sh (npm), outside CMake: whatever ui/dist
# holds when the package is made goes in; without it the daemon's / says
# how to build it.
install(CODE "
  set(ui \"${PROJECT_SOURCE_DIR}/ui/dist\")
  if(EXISTS \"\${ui}/index.html\")
    file(INSTALL \"\${ui}/\" DESTINATION
         \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/dashstream/ui\")
  else()
    message(STATUS \"no ui/dist: the package has no browser UI\")
  endif()")

set(CPACK_PACKAGE_NAME dashstream)
set(CPACK_PACKAGE_VENDOR "The DashStream developers")
set(CPACK_PACKAGE_CONTACT "DashStream developers <dashstream@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION
    "DashStream consumes DashFlow's DashStream v1 telemetry from Kafka,
checks each thread's sequence, keeps every failed record in a dead-letter
queue, and pushes live events over WebSocket to browser dashboards and
command-line clients. It exports Prometheus metrics and OpenTelemetry
traces, and runs as a systemd service.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# A Debian revision: the package is not "native" (its changelog then is
# changelog.Debian.gz, as lintian expects).
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/dashstream/dashstream")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# adduser for the postinst; deb-systemd-helper comes with init-system-helpers.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.52)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${ds_debian}/postinst ${ds_debian}/prerm ${ds_debian}/postrm
    ${ds_debian}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
