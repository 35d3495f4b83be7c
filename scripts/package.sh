#!/usr/bin/env bash
# Builds the Debian package build-package/rnnscope_<version>_<arch>.deb: the binary, the desktop
# file, the icon and the AppStream metainfo (resources/), with Depends from dpkg-shlibdeps.
#
# The package is for any x86-64 machine of the last fifteen years, so it is not built for this
# CPU (RNNSCOPE_ARCH=native) but for x86-64-v2 (SSE4.2, POPCNT: every x86-64 CPU since 2009–2011).
# x86-64-v3 (AVX2, FMA) would make Eigen's small products and the float64 tanh faster, but the
# binary would die with SIGILL on classroom machines without AVX2 (Atom, Celeron, Pentium Silver
# laptops, CPUs before 2013); the large products go to OpenBLAS, which picks its kernels for the
# CPU at run time, whatever -march says. To build for v3 anyway: RNNSCOPE_ARCH=x86-64-v3 scripts/package.sh
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
