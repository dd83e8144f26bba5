# Cross-compiling dpurun for a board's aarch64 Linux (Zynq UltraScale+, Versal), either with
#  - the Vitis AI / PetaLinux SDK: source its environment-setup-* script first; the compilers,
#    their flags and the sysroot then come from the environment it sets (CC, CXX,
#    SDKTARGETSYSROOT or OECORE_TARGET_SYSROOT; protoc from OECORE_NATIVE_SYSROOT), or
#  - Debian's g++-aarch64-linux-gnu and a sysroot: DPURUN_SYSROOT (CMake or environment),
#    by default build/sysroot-aarch64 as board/make-sysroot.sh makes it.
# Where qemu-aarch64 is installed, tests run under it (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(DEFINED ENV{SDKTARGETSYSROOT} OR DEFINED ENV{OECORE_TARGET_SYSROOT})
  if(DEFINED ENV{SDKTARGETSYSROOT})
    set(DPURUN_SYSROOT "$ENV{SDKTARGETSYSROOT}")
  else()
    set(DPURUN_SYSROOT "$ENV{OECORE_TARGET_SYSROOT}")
  endif()
  # The SDK's CC/CXX carry flags: "aarch64-xilinx-linux-g++ -mcpu=cortex-a72.cortex-a53 ... --sysroot=..."
  foreach(lang C CXX)
    if(lang STREQUAL "C")
      set(cmd "$ENV{CC}")
    else()
      set(cmd "$ENV{CXX}")
    endif()
    if(cmd STREQUAL "")
      message(FATAL_ERROR "aarch64-linux.cmake: the SDK environment has no ${lang} compiler "
                          "(CC/CXX); source the SDK's environment-setup-* script in this shell")
    endif()
    separate_arguments(args UNIX_COMMAND "${cmd}")
    list(POP_FRONT args compiler)
    list(FILTER args EXCLUDE REGEX "^--sysroot=")  # CMAKE_SYSROOT passes it
    list(JOIN args " " flags)
    set(CMAKE_${lang}_COMPILER "${compiler}")
    set(CMAKE_${lang}_FLAGS_INIT "${flags}")
  endforeach()
  if(EXISTS "$ENV{OECORE_NATIVE_SYSROOT}/usr/bin/protoc")
    set(Protobuf_PROTOC_EXECUTABLE "$ENV{OECORE_NATIVE_SYSROOT}/usr/bin/protoc" CACHE FILEPATH "")
  endif()
else()
  if(NOT DPURUN_SYSROOT)
    if(DEFINED ENV{DPURUN_SYSROOT})
      set(DPURUN_SYSROOT "$ENV{DPURUN_SYSROOT}")
    else()
      get_filename_component(DPURUN_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../../build/sysroot-aarch64"
                             ABSOLUTE)
    endif()
  endif()
  set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
  set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
  set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
endif()

if(NOT IS_DIRECTORY "${DPURUN_SYSROOT}/usr/include")
  message(FATAL_ERROR "aarch64-linux.cmake: no sysroot at '${DPURUN_SYSROOT}'. Source the board SDK's "
                      "environment-setup-* script, or make one from Debian's packages with "
                      "board/make-sysroot.sh (or set DPURUN_SYSROOT)")
endif()
set(DPURUN_SYSROOT "${DPURUN_SYSROOT}" CACHE PATH "The aarch64 sysroot")
set(CMAKE_SYSROOT "${DPURUN_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${DPURUN_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # protoc and other tools run on the host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(DPURUN_QEMU qemu-aarch64)
if(DPURUN_QEMU)
  # The CPU of a Zynq UltraScale+ (ZCU102, ZCU104, KV260): no SVE, as on the board.
  set(CMAKE_CROSSCOMPILING_EMULATOR "${DPURUN_QEMU};-cpu;cortex-a53;-L;${DPURUN_SYSROOT}")
endif()
