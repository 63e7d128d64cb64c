# Helpers shared by every module so that each src/<module>/CMakeLists.txt stays
# a short statement of what the module is and what it may use.

# contactsync_module(NAME SOURCES ... DEPS ...)
# One static library per src/ folder. DEPS are the only modules (and external
# targets) it may use; that list is the layering rule of docs/architecture.md.
function(contactsync_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(cs_${name} STATIC ${ARG_SOURCES})
  target_include_directories(cs_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(cs_${name} PUBLIC ${ARG_DEPS})
endfunction()

# contactsync_test(NAME [USES_BINARY] [SERIAL] SOURCES ... DEPS ...)
# One GoogleTest executable, registered with CTest test by test. Tests sit
# beside the code they test as foo_test.cpp. USES_BINARY tests run the built
# `contactsync` program and get its path as CONTACTSYNC_BINARY. SERIAL tests
# never run beside another test (ctest RUN_SERIAL): for assertions on a shared
# server's global counters, which any concurrent test would move. BOTH_STORES
# tests run twice: on the SQLite store, and with CONTACTSYNC_TEST_STORE=postgresql
# on the PostgreSQL test server (names ending in /postgresql_store;
# store/test_store.h).
function(contactsync_test name)
  if(NOT CONTACTSYNC_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "USES_BINARY;SERIAL;BOTH_STORES" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE CONTACTSYNC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  if(ARG_USES_BINARY)
    target_compile_definitions(${name} PRIVATE CONTACTSYNC_BINARY="$<TARGET_FILE:contactsync>")
    add_dependencies(${name} contactsync)
  endif()
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  gtest_discover_tests(${name} NO_PRETTY_VALUES DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT 300 RUN_SERIAL ${serial})
  if(ARG_BOTH_STORES)
    gtest_discover_tests(${name} NO_PRETTY_VALUES DISCOVERY_TIMEOUT 60
                         TEST_SUFFIX "/postgresql_store"
                         PROPERTIES TIMEOUT 300 RUN_SERIAL ${serial}
                                    ENVIRONMENT "CONTACTSYNC_TEST_STORE=postgresql")
  endif()
endfunction()
