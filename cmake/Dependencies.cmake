# Every dependency is a Debian package; scripts/install-deps.sh installs them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(restinio REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(qpdf REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# OpenPGP for RMAP. pkg-config rather than librnp's CMake config, which needs Botan and json-c
# CMake packages that Debian does not ship.
pkg_check_modules(RNP REQUIRED IMPORTED_TARGET librnp)
# The PDF jail's syscall filter (src/jail/confine.cpp).
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)

# Debian's http-parser (RESTinio's parser) and SOCI ship no CMake/pkg-config files.
find_library(HTTP_PARSER_LIB http_parser REQUIRED)
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
find_library(SOCI_CORE_LIB soci_core REQUIRED)
find_library(SOCI_SQLITE3_LIB soci_sqlite3 REQUIRED)
find_library(SOCI_MYSQL_LIB soci_mysql REQUIRED)
find_library(SOCI_POSTGRESQL_LIB soci_postgresql REQUIRED)
find_library(SQLITE3_LIB sqlite3 REQUIRED)
# SOCI's backend headers include the client libraries' headers (mysql.h, libpq-fe.h).
pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)

add_library(tatou_soci INTERFACE)
target_include_directories(tatou_soci INTERFACE ${SOCI_INCLUDE_DIR})
target_link_libraries(tatou_soci INTERFACE
  ${SOCI_SQLITE3_LIB} ${SOCI_MYSQL_LIB} ${SOCI_POSTGRESQL_LIB} ${SOCI_CORE_LIB} ${SQLITE3_LIB}
  PkgConfig::MARIADB PkgConfig::LIBPQ ${CMAKE_DL_LIBS})

# Leak identification (src/leak): poppler renders PDFs, OpenCV decodes images and registers them.
# Debian's split OpenCV -dev packages ship neither a CMake config nor a .pc file.
pkg_check_modules(POPPLER_CPP REQUIRED IMPORTED_TARGET poppler-cpp)
find_path(OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
add_library(tatou_opencv INTERFACE)
target_include_directories(tatou_opencv INTERFACE ${OPENCV_INCLUDE_DIR})
foreach(module video calib3d features2d imgcodecs imgproc flann core)
  find_library(OPENCV_${module}_LIB opencv_${module} REQUIRED)
  target_link_libraries(tatou_opencv INTERFACE ${OPENCV_${module}_LIB})
endforeach()
