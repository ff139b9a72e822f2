# A throwaway PostgreSQL cluster as a ctest fixture, for the *_pg variants of the store and
# integration tests. Include it from any CMakeLists.txt (it registers the fixture once):
#
#   include(${CMAKE_SOURCE_DIR}/tests/pg-fixture.cmake)
#   confab_pg_variant(tst_store_writer)   # adds tst_store_writer_pg
#
# pg_cluster_start (FIXTURES_SETUP pg) runs scripts/pg-throwaway on a free port with its
# data in ${CMAKE_BINARY_DIR}/pg-cluster and writes the URL of a role that may create
# databases to ${CMAKE_BINARY_DIR}/pg-cluster.url; pg_cluster_stop (FIXTURES_CLEANUP pg)
# stops it and removes the directory. A *_pg test runs the same executable with
# CONFAB_TEST_DB_URL_FILE pointing at that file; the test then uses PostgreSQL (one fresh
# database per test case) instead of SQLite.
#
# Nothing is registered (and confab_pg_variant() does nothing) without the PostgreSQL
# server binaries: set CONFAB_PG_BINDIR if they are not in the Debian location.
include_guard(GLOBAL)

set(CONFAB_PG_BINDIR "/usr/lib/postgresql/15/bin"
    CACHE PATH "PostgreSQL server binaries (initdb, pg_ctl, postgres) for the _pg tests")
# Cache variables, so confab_pg_variant() sees them from every directory, not only the
# one that included this file first.
set(CONFAB_PG_CLUSTER_DIR ${CMAKE_BINARY_DIR}/pg-cluster CACHE INTERNAL "")
set(CONFAB_PG_URL_FILE ${CMAKE_BINARY_DIR}/pg-cluster.url CACHE INTERNAL "")

if(EXISTS ${CONFAB_PG_BINDIR}/initdb AND EXISTS ${CONFAB_PG_BINDIR}/pg_ctl
   AND EXISTS ${CONFAB_PG_BINDIR}/postgres)
  set(CONFAB_PG_TESTS ON CACHE INTERNAL "")
  message(STATUS "PostgreSQL test variants enabled (${CONFAB_PG_BINDIR})")
  add_test(NAME pg_cluster_start
           COMMAND ${CMAKE_COMMAND} -E env PG_BINDIR=${CONFAB_PG_BINDIR}
                   ${CMAKE_SOURCE_DIR}/scripts/pg-throwaway start ${CONFAB_PG_CLUSTER_DIR} auto
                   ${CONFAB_PG_URL_FILE})
  set_tests_properties(pg_cluster_start PROPERTIES FIXTURES_SETUP pg TIMEOUT 120
                       LABELS postgres)
  add_test(NAME pg_cluster_stop
           COMMAND ${CMAKE_COMMAND} -E env PG_BINDIR=${CONFAB_PG_BINDIR}
                   ${CMAKE_SOURCE_DIR}/scripts/pg-throwaway stop ${CONFAB_PG_CLUSTER_DIR})
  set_tests_properties(pg_cluster_stop PROPERTIES FIXTURES_CLEANUP pg TIMEOUT 120
                       LABELS postgres)
else()
  set(CONFAB_PG_TESTS OFF CACHE INTERNAL "")
  message(STATUS "PostgreSQL test variants disabled: no server binaries in ${CONFAB_PG_BINDIR}")
endif()

# confab_pg_variant(<test>): registers <test>_pg, the same command as test <test> (made
# by confab_add_test) against the throwaway cluster.
function(confab_pg_variant name)
  if(NOT CONFAB_PG_TESTS)
    return()
  endif()
  get_test_property(${name} TIMEOUT _timeout)
  get_test_property(${name} LABELS _labels)
  if(NOT _timeout)
    set(_timeout 120)
  endif()
  if(_labels)
    list(APPEND _labels postgres)
  else()
    set(_labels postgres)
  endif()
  add_test(NAME ${name}_pg COMMAND ${name})
  set_tests_properties(${name}_pg PROPERTIES
                       TIMEOUT ${_timeout}
                       LABELS "${_labels}"
                       FIXTURES_REQUIRED pg
                       ENVIRONMENT "QT_QPA_PLATFORM=offscreen;QT_NO_GLIB=1;CONFAB_TEST_DB_URL_FILE=${CONFAB_PG_URL_FILE}")
endfunction()
