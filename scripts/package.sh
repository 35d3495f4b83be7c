#!/usr/bin/env bash
# Builds the Debian package build-package/rnnscope_<version>_<arch>.deb: the binary, the desktop
# file, the icon and the AppStream metainfo (resources/), with Depends from dpkg-shlibdeps.
#
# The package must run on the machines of a classroom, so it is not built for this CPU
# (RNNSCOPE_ARCH=native) but for x86-64-v2 (SSE4.2, POPCNT: Intel since 2008, AMD since 2011, Atom
# since 2013). x86-64-v3 (AVX2, FMA) would be faster where the recurrence is made of small products
# that Eigen computes in the binary — measured here (Zen 3), forward pass, float32, one thread:
#     N,T,D,M,K          v2        v3       native
#     1,10,3,5,2         1.05 µs   1.17 µs  1.01 µs
#     64,128,64,256,10   21.5 ms   19.7 ms  21.2 ms
#     8,4096,8,128,2     60.4 ms   29.2 ms  34.7 ms
# but a v3 binary dies of SIGILL at start on every CPU without AVX2 — among them the Celeron,
# Pentium Silver and Atom chips (Gemini Lake, Jasper Lake: 2017–2022) of many school laptops. The large products go to OpenBLAS, which picks
# its kernels for the CPU at run time whatever -march says, and at classroom sizes a step costs
# microseconds. For a faster package for machines known to have AVX2:
#     RNNSCOPE_ARCH=x86-64-v3 scripts/package.sh
#
# Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
arch="${RNNSCOPE_ARCH:-x86-64-v2}"
if [ "$arch" = native ]; then
  echo "package.sh: RNNSCOPE_ARCH=native would make a package for this CPU only; use x86-64-v2 or x86-64-v3" >&2
  exit 2
fi
cmake -S . -B build-package -DCMAKE_BUILD_TYPE=Release -DRNNSCOPE_ARCH="$arch" -DRNNSCOPE_TESTS=OFF \
  -DCMAKE_INSTALL_PREFIX=/usr "$@"
cmake --build build-package -j"$(nproc)"
rm -f build-package/rnnscope_*.deb
(cd build-package && cpack -G DEB)
deb=$(ls build-package/rnnscope_*.deb)
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
echo "package.sh: $deb (-march=$arch)"
