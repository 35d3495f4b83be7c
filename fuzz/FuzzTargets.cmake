# The fuzz targets of fuzz/, shared by fuzz/CMakeLists.txt (libFuzzer executables fuzz_<name>,
# RNNSCOPE_FUZZ=ON) and tests/CMakeLists.txt (replay_<name>: the same source with replay_main.cpp,
# a CTest test that runs it over fuzz/corpus/<name>/).
#
#   npy            parseNpy                    (core/io/npy.h)
#   npz            parseNpz + weightsFromArrays (core/io/npy.h, core/io/weightfile.h)
#   csv            parseInputCsv               (core/io/weightfile.h)
#   keras_archive  parseKerasFile on .keras zips whose HDF5 member is known-good (core/io/kerasfile.h)
#   keras_config   parseKerasFile on files built around a fuzzed config.json / @model_config
#   session        decodeSession               (core/io/sessionfile.h)
set(RNNSCOPE_FUZZ_TARGETS npy npz csv keras_archive keras_config session)
set(RNNSCOPE_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})

# Adds fuzz/fuzz_<name>.cpp to `target` with what it needs (rnnscope_io; libzip and HDF5 for the Keras
# targets' templates).
function(rnnscope_fuzz_sources target name)
    target_sources(${target} PRIVATE ${RNNSCOPE_FUZZ_DIR}/fuzz_${name}.cpp)
    target_include_directories(${target} PRIVATE ${RNNSCOPE_FUZZ_DIR})
    target_link_libraries(${target} PRIVATE rnnscope_io)
    target_compile_definitions(${target} PRIVATE RNNSCOPE_FUZZ_DIR="${RNNSCOPE_FUZZ_DIR}")
    if(name MATCHES "^keras")
        if(NOT TARGET PkgConfig::LIBZIP)
            find_package(PkgConfig REQUIRED)
            pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
        endif()
        find_package(HDF5 REQUIRED COMPONENTS C HL)
        target_link_libraries(${target} PRIVATE PkgConfig::LIBZIP hdf5::hdf5_hl hdf5::hdf5)
    endif()
    set_target_properties(${target} PROPERTIES AUTOMOC OFF AUTOUIC OFF)
endfunction()
