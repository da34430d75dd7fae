# Host warning flags: -Wall -Wextra -Werror for project code (STYLE.md §38).
function(hkv_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wno-missing-field-initializers>)
endfunction()
