# Debian packages (cpack -G DEB, as scripts/package.sh runs it), for the architecture being built
# (amd64, or arm64 from the aarch64 cross build):
#   dpurun          the command, its worker and the manifests
#   libdpurun0.1    the shared library (named for its soname, libdpurun.so.0.1)
#   libdpurun-dev   its headers, the .so link, the CMake package and the pkg-config file
#   python3-dpurun  the Python module (where this build has one: not the arm64 cross build)
# Their dependencies are the Debian 12 runtime packages the binaries link.
set(CPACK_PACKAGE_NAME dpurun)
set(CPACK_PACKAGE_VENDOR "dpurun")
set(CPACK_PACKAGE_CONTACT "dpurun maintainers <dpurun@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Inference runtime and benchmark harness for Vitis AI DPUs, with a bit-exact CPU reference")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Installed files find each other by relative paths, so the packages' prefix is free.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL cli lib dev)
if(DPURUN_HAVE_PYTHON)
  list(APPEND CPACK_COMPONENTS_ALL python)
endif()
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
if(DPURUN_HAVE_TURBOJPEG)
  list(APPEND dpurun_deb_depends libturbojpeg0)
endif()
if(DPURUN_HAVE_SPNG)
  list(APPEND dpurun_deb_depends libspng0)
endif()
list(JOIN dpurun_deb_depends ", " dpurun_deb_depends)
set(CPACK_DEBIAN_CLI_PACKAGE_NAME dpurun)
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "${dpurun_deb_depends}")
set(CPACK_COMPONENT_CLI_DESCRIPTION "dpurun command: eval, bench, check, inspect, doctor, freeze")
set(dpurun_lib_package libdpurun${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
set(CPACK_DEBIAN_LIB_PACKAGE_NAME ${dpurun_lib_package})
set(CPACK_DEBIAN_LIB_PACKAGE_DEPENDS "${dpurun_deb_depends}")
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIB_DESCRIPTION "dpurun library: runners, the runner pool, the bit-exact CPU reference, eval and check")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libdpurun-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${dpurun_lib_package} (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "dpurun library, development files: headers, CMake package (find_package(dpurun)), pkg-config")
# The module finds manifests by name and isolated runners' worker in the dpurun package; it is
# built for one Python minor version (its ABI tag).
math(EXPR dpurun_python_next_minor "${Python3_VERSION_MINOR} + 1")
set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-dpurun)
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "${dpurun_lib_package} (= ${PROJECT_VERSION}), dpurun (= ${PROJECT_VERSION}), \
python3 (>= ${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}), python3 (<< ${Python3_VERSION_MAJOR}.${dpurun_python_next_minor}), \
python3-numpy, ${dpurun_deb_depends}")
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_COMPONENT_PYTHON_DESCRIPTION "dpurun for Python: models, runners, the pool, quantize_input, eval/bench/check")
include(CPack)
