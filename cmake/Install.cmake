# cmake --install: the cnnc tool, the public headers, libcnnc (the JIT API, one
# shared library over the static ones), libcnnc_runtime (what cnnc compile's
# objects link: no LLVM), cnncConfig.cmake with cnnc_add_model(), and
# pkg-config files. examples/aot/ is a project that uses them
# (tests/package/package.cmake installs, builds and runs it).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CNNC_INSTALLED cnnc_runtime)
if(NOT CNNC_RUNTIME_ONLY)
  # The API archive whole, and the runtime's objects (the public I/O that no
  # API code calls is in them too).
  add_library(cnnc_shared SHARED $<TARGET_OBJECTS:cnnc_runtime> $<TARGET_OBJECTS:cnnc_images>)
  target_link_libraries(cnnc_shared PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,cnnc_api>")
  target_include_directories(cnnc_shared INTERFACE $<INSTALL_INTERFACE:include>)
  set_target_properties(cnnc_shared PROPERTIES OUTPUT_NAME cnnc EXPORT_NAME cnnc
                                               VERSION ${PROJECT_VERSION} SOVERSION 0)
  set_target_properties(cnnc PROPERTIES EXPORT_NAME tool)
  list(APPEND CNNC_INSTALLED cnnc cnnc_shared)
endif()

install(TARGETS ${CNNC_INSTALLED} EXPORT cnncTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/cnnc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(CNNC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cnnc)
install(EXPORT cnncTargets NAMESPACE cnnc:: DESTINATION ${CNNC_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/cnncConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/cnncConfig.cmake
                              INSTALL_DESTINATION ${CNNC_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cnncConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cnncConfig.cmake ${PROJECT_BINARY_DIR}/cnncConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/cnncAddModel.cmake DESTINATION ${CNNC_CMAKE_DIR})
foreach(pc cnnc cnnc-runtime)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
