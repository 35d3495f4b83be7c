// Default options of AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer for a build
// with RNNSCOPE_SANITIZE=ON (scripts/sanitize.sh). The top-level CMakeLists.txt compiles this file
// into every executable of such a build — the tests, and the rnnscope binary that the command-line
// and window tests run — so that `ctest --test-dir build-asan` by hand behaves as the script does.
// The sanitizer runtimes call these functions before main(); ASAN_OPTIONS, LSAN_OPTIONS and
// UBSAN_OPTIONS in the environment still override them.
//
// Needs RNNSCOPE_LSAN_SUPPRESSIONS: the absolute path of tests/lsan.supp (which leaks of
// third-party libraries are not reported, and why).
//
// Expected in the output of test_kerasfile: one "AddressSanitizer: CHECK failed … H5HG_read" trace.
// It comes from the child process that reads a deliberately damaged HDF5 file (bitFlippedFiles):
// libhdf5 memcpy()s terabytes on a length read from the file, which ASan's memcpy interceptor
// refuses to check (no suppression silences that), so the child ends with status 1 where a release
// build dies of SIGSEGV; core/io/kerasfile.cpp refuses the file either way and the test passes.

extern "C" {

// Used or not, these stay: the runtime looks them up by name.
__attribute__((used, visibility("default"))) const char *__asan_default_options()
{
    // detect_stack_use_after_return: fake stacks find uses of dead locals (costs some speed);
    // check_initialization_order + strict_init_order: static initialisation order bugs;
    // allocator_may_return_null: an absurd allocation fails as in a release build (malloc returns
    // null, operator new throws std::bad_alloc) instead of ending the process, so that the code
    // that refuses what does not fit in memory is tested too.
    // Not strict_string_checks: under xcb it flags libxkbcommon-x11's strndup() of a string that is
    // not NUL-terminated, which strndup allows.
    return "detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:"
           "allocator_may_return_null=1:halt_on_error=1";
}

__attribute__((used, visibility("default"))) const char *__lsan_default_options()
{
    return "suppressions=" RNNSCOPE_LSAN_SUPPRESSIONS ":print_suppressions=0";
}

__attribute__((used, visibility("default"))) const char *__ubsan_default_options()
{
    return "print_stacktrace=1:halt_on_error=1";
}

} // extern "C"
