# Checks that each folder of core includes only the folders below it (cmake -DCORE_DIR=… -P):
#   common/ → common/      nn/ → common/ nn/      run/ → common/ nn/ run/
#   grad/ → common/ nn/ run/ grad/      train/ → those and train/
#   export/ → common/ nn/ run/ export/      io/ → anything
# so the maths (common, nn, run) never includes a file format. Fails naming every offending include.
set(allowed_common "common")
set(allowed_nn "common|nn")
set(allowed_run "common|nn|run")
set(allowed_grad "common|nn|run|grad")
set(allowed_train "common|nn|run|grad|train")
set(allowed_export "common|nn|run|export")
set(broken "")
foreach(layer common nn run grad train export)
    file(GLOB_RECURSE files "${CORE_DIR}/${layer}/*.h" "${CORE_DIR}/${layer}/*.cpp")
    foreach(file IN LISTS files)
        file(STRINGS "${file}" includes REGEX "^#include \"")
        foreach(line IN LISTS includes)
            if(NOT line MATCHES "^#include \"(${allowed_${layer}})/")
                file(RELATIVE_PATH rel "${CORE_DIR}" "${file}")
                string(APPEND broken "\n  core/${rel}: ${line}")
            endif()
        endforeach()
    endforeach()
endforeach()
if(broken)
    message(FATAL_ERROR "core's layers include upwards or without a folder:${broken}")
endif()
message(STATUS "core's layers include only downwards")
