# cmake --install: the CLI, tokencast::core and tokencast::io with their public headers, and the
# package files that let another project say find_package(tokencast).
include(CMakePackageConfigHelpers)

install(TARGETS tokencast_core tokencast_io EXPORT tokencastTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS tokencast RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tokencast DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(TOKENCAST_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tokencast)
install(EXPORT tokencastTargets NAMESPACE tokencast:: DESTINATION ${TOKENCAST_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tokencastConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tokencastConfig.cmake INSTALL_DESTINATION ${TOKENCAST_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tokencastConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tokencastConfig.cmake ${PROJECT_BINARY_DIR}/tokencastConfigVersion.cmake
        DESTINATION ${TOKENCAST_CMAKE_DIR})
