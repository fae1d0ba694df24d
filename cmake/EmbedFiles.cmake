# tokencast_embed_files(OUTPUT file...): generates a C++ source defining
# tokencast::embedded_files(), a list of {name, contents} for each file (name = file name).
function(tokencast_embed_files output)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} "-DINPUTS=${ARGN}"
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_files_script.cmake
    DEPENDS ${ARGN} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_files_script.cmake
    COMMENT "Embedding scenario and catalog files"
    VERBATIM)
endfunction()
