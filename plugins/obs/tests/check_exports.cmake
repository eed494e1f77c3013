# ctest: the built module exports the entry points OBS looks up with dlsym/GetProcAddress
# (obs-module.c: obs_module_load, obs_module_set_pointer, obs_module_ver are required;
# the locale and description hooks are optional but ours must be visible) and nothing
# of the core leaks out. Usage: cmake -DNM=... -DMODULE=... -P check_exports.cmake
execute_process(COMMAND "${NM}" -D --defined-only "${MODULE}" OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${MODULE}")
endif()
set(required obs_module_load obs_module_unload obs_module_set_pointer obs_current_module obs_module_ver
             obs_module_set_locale obs_module_free_locale obs_module_get_string obs_module_name
             obs_module_description)
set(missing "")
foreach(sym IN LISTS required)
  if(NOT symbols MATCHES "[ \t][TW][ \t]${sym}\n")
    list(APPEND missing ${sym})
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "${MODULE} does not export: ${missing}\nexported:\n${symbols}")
endif()
if(symbols MATCHES "[ \t]T[ \t](fc_[a-z_]+)")
  message(FATAL_ERROR "${MODULE} leaks core symbol ${CMAKE_MATCH_1}: build the core with hidden visibility")
endif()
message(STATUS "${MODULE} exports every OBS entry point: ${required}")
