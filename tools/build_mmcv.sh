#!/usr/bin/env bash
# Build mmcv 2.1.0 *with compiled ops* from its PyPI sdist into a wheelhouse.
#
#   tools/build_mmcv.sh PYTHON WHEELHOUSE
#
# mmcv 2.1.0 is published as an sdist only. Its setup.py hard-codes -std=c++17 (and -std=c++14),
# which torch 2.14's headers reject, so we patch it to -std=c++20 and build without build
# isolation against the torch already installed in PYTHON's environment. ~26-40 min on 2 cores.
set -euo pipefail
PY=${1:?python interpreter}
# absolute, but not symlink-resolved (a venv python must stay the venv's)
PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"
OUT=${2:?wheelhouse directory}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" -m pip download --no-deps --no-binary :all: --no-build-isolation -d "$work" mmcv==2.1.0 >/dev/null
tar -xzf "$work"/mmcv-2.1.0.tar.gz -C "$work"
src="$work/mmcv-2.1.0"
sed -i -e 's/-std=c++17/-std=c++20/g' -e 's/-std=c++14/-std=c++20/g' "$src/setup.py"
grep -q 'c++20' "$src/setup.py" || { echo "build_mmcv: could not patch the C++ standard in setup.py" >&2; exit 1; }
echo "build_mmcv: compiling mmcv 2.1.0 ops (MMCV_WITH_OPS=1, MAX_JOBS=${MAX_JOBS:-$(nproc)}); this takes a while"
(cd "$src" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
  "$PY" -m pip wheel --no-deps --no-build-isolation -w "$OUT" .)
ls "$OUT"/mmcv-2.1.0-*.whl
