#!/usr/bin/env bash
# Builds rnnscope and opens the desktop app. Arguments go to rnnscope (e.g. --dims 4,50,8,32,3).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/app/rnnscope "$@"
