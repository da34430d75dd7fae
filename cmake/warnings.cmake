# Host warning flags: -Wall -Wextra -Werror for project code (STYLE.md §38).
# -Wno-restrict: GCC 12 at -O3 reports false -Wrestrict positives inside std::string operator+
# (GCC bug 105329); the warning is not actionable in our code.
function(hkv_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wno-missing-field-initializers>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-Wno-restrict>)
endfunction()
