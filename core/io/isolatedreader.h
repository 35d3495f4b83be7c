#pragma once
// A child process for the HDF5 library, which is not safe against damaged files (some crash it or
// make it loop): on POSIX systems the Keras reader runs in a child with a time and memory limit,
// and the model comes back through a pipe as a flat byte string, so that a file that kills or
// stalls the reader is refused and the caller's process is never at risk. Private to io.

#include "io/networkfile.h"
#include "io/weightfile.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

// 1 where the platform has fork() and the reader runs in a child, 0 elsewhere (it runs in-process).
#if defined(__unix__) || defined(__APPLE__)
#define RNNSCOPE_KERAS_ISOLATED 1
#else
#define RNNSCOPE_KERAS_ISOLATED 0
#endif

namespace rnnscope::kerasio {

#if RNNSCOPE_KERAS_ISOLATED

// Runs read() in a child process and returns its LoadedModel, or throws its Error. A child that
// dies or runs out of `seconds` is refused as a damaged file. Without a process to spare, reads
// here.
LoadedModel runIsolated(const std::function<LoadedModel()> &read, const std::string &path, int seconds,
                        std::uint64_t extraMemory);
// The same for a reader of a whole network (nullopt: the file holds one plain recurrent layer).
std::optional<LoadedNetwork> runIsolatedNetwork(const std::function<std::optional<LoadedNetwork>()> &read,
                                                const std::string &path, int seconds, std::uint64_t extraMemory);

#endif

} // namespace rnnscope::kerasio
