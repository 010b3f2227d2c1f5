# Builds and runs tests/consumer against gan, installed (MODE=find_package) or as a
# subdirectory (MODE=add_subdirectory).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix_path "${PREFIX_PATH}")
set(extra "")
if(MODE STREQUAL "find_package")
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${GAN_BINARY_DIR} --prefix ${WORK_DIR}/stage
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "install failed")
  endif()
  list(PREPEND prefix_path ${WORK_DIR}/stage)
else()
  set(extra -DGAN_SOURCE_DIR=${GAN_SOURCE_DIR})
endif()
string(REPLACE ";" "\\;" prefix_arg "${prefix_path}")
execute_process(COMMAND ${CMAKE_COMMAND} -S ${GAN_SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build
                        -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release -DGAN_MODE=${MODE}
                        "-DCMAKE_PREFIX_PATH=${prefix_arg}" ${extra}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed")
endif()
execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer failed")
endif()
