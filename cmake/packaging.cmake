# Debian packages (cpack -G DEB, as scripts/package.sh runs it): `dpurun` (the command, its worker
# and the manifests) and `libdpurun-dev` (the shared library, the public headers, the CMake
# package and the pkg-config file), for the architecture being built (amd64, or arm64 from the
# aarch64 cross build). Their dependencies are the Debian 12 runtime packages the binaries link.
set(CPACK_PACKAGE_NAME dpurun)
set(CPACK_PACKAGE_VENDOR "dpurun")
set(CPACK_PACKAGE_CONTACT "dpurun maintainers <dpurun@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Inference runtime and benchmark harness for Vitis AI DPUs, with a bit-exact CPU reference")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Installed files find each other by relative paths, so the packages' prefix is free.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL cli dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # name_version_arch.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
if(CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
endif()

set(dpurun_deb_depends libc6 libgcc-s1 libstdc++6 libgomp1 libopencv-core406 libopencv-imgproc406
    libopencv-imgcodecs406 libprotobuf32 libhdf5-103-1 libfmt9 libssl3)
if(DPURUN_HAVE_ONEDNN)
  list(APPEND dpurun_deb_depends libdnnl2)
endif()
list(JOIN dpurun_deb_depends ", " dpurun_deb_depends)
set(CPACK_DEBIAN_CLI_PACKAGE_NAME dpurun)
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "${dpurun_deb_depends}")
set(CPACK_COMPONENT_CLI_DESCRIPTION "dpurun command: eval, bench, check, inspect, doctor, freeze")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libdpurun-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${dpurun_deb_depends}")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "dpurun library: libdpurun.so, headers, CMake package (find_package(dpurun)), pkg-config")
include(CPack)
