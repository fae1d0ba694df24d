# tokencast_embed_files(OUTPUT HEADER file...): generates a C++ source defining
# tokencast::embedded_files() (declared in HEADER), a list of {name, contents} for each file
# (name = file name).
function(tokencast_embed_files output header)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} -DHEADER=${header} "-DINPUTS=${ARGN}"
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_files_script.cmake
    DEPENDS ${ARGN} ${header} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_files_script.cmake
    COMMENT "Embedding scenario and catalog files"
    VERBATIM)
endfunction()
