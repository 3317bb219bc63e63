#!/usr/bin/env bash
# The two steps of `make setup CPU_ONLY=1` that differ from the default set-up:
#   tools/setup_cpu_only.sh install PYTHON MMCV_WHEEL   install the pinned stack without
#                                                       requirements/cpu-only-omit.list
#   tools/setup_cpu_only.sh check PYTHON                `pip check`, accepting only the
#                                                       requirements left out on purpose
# Same pins as the default set-up (requirements/runtime.txt, tests.txt); see README,
# "What the dependencies cost", for what is left out and why.
set -euo pipefail
cd "$(dirname "$0")/.."
OMIT=requirements/cpu-only-omit.list

usage() { echo "usage: $0 install PYTHON MMCV_WHEEL | check PYTHON" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 py=$2

# "NAME DECLARED-BY" pairs, comments and blank lines dropped.
omitted() { sed -e 's/#.*//' "$OMIT" | awk 'NF >= 2 {print $1, $2}'; }

# pip's own name normalisation (PEP 503): case-insensitive, runs of -_. are one '-'.
norm() { tr 'A-Z' 'a-z' | sed -E 's/[-_.]+/-/g'; }

case $cmd in
install)
    [ $# -eq 3 ] || usage
    whl=$3
    # A venv made by the default set-up holds the omitted packages; uninstalling them is not
    # safe (opencv-contrib-python, pulled by mediapipe, shares the cv2/ folder with the
    # opencv-python wheels the stack keeps), so start from a fresh venv instead.
    while read -r name by; do
        if [ "$by" != torch ] && "$py" -m pip show -q "$name" >/dev/null 2>&1; then
            echo "setup_cpu_only: $name is installed in this venv (made by the default set-up);" \
                 "run 'make clean-venv' first" >&2
            exit 1
        fi
    done < <(omitted)

    # mmagic's metadata requires mediapipe / facexlib / face-alignment, so mmagic itself is
    # installed --no-deps and its other requirements (read from its metadata) are named in the
    # one pip call below, beside runtime.txt, so that its pins still apply to them.
    mmagic=$(sed -nE 's/^(mmagic[^ #]*).*/\1/p' requirements/runtime.txt)
    [ -n "$mmagic" ] || { echo "setup_cpu_only: no mmagic pin in requirements/runtime.txt" >&2; exit 1; }
    skip=$( { echo mmagic; omitted | awk '{print $1}'; } | norm | paste -sd'|')
    "$py" -m pip install -q --no-deps "$mmagic"
    mapfile -t mmagic_deps < <("$py" - "$skip" <<'PY'
import importlib.metadata as md, re, sys
try:
    from packaging.requirements import Requirement
except ImportError:  # a fresh venv: pip's own copy
    from pip._vendor.packaging.requirements import Requirement
skip = set(sys.argv[1].split('|'))
for line in md.requires('mmagic') or []:
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate({'extra': ''}):
        continue
    if re.sub(r'[-_.]+', '-', req.name.lower()) not in skip:
        print(line)
PY
)
    [ ${#mmagic_deps[@]} -gt 0 ] || { echo "setup_cpu_only: could not read mmagic's requirements" >&2; exit 1; }
    reqs=$(mktemp)
    trap 'rm -f "$reqs"' EXIT
    # runtime.txt without mmagic and the omitted lines: keep each line whose requirement name
    # (before any version, marker or comment) is not skipped.
    while IFS= read -r line; do
        name=$(printf '%s\n' "$line" | sed -E 's/[[:space:]]*#.*//; s/^([A-Za-z0-9._-]+).*/\1/' | norm)
        if [ -n "$name" ] && printf '%s\n' "$name" | grep -qxE "$skip"; then continue; fi
        printf '%s\n' "$line"
    done < requirements/runtime.txt > "$reqs"
    # --no-warn-conflicts: pip would call mmagic's omitted requirements an ERROR here; the
    # `check` step below runs the full `pip check` and fails on anything not omitted on purpose.
    "$py" -m pip install -q --no-warn-conflicts "$whl" -r "$reqs" -r requirements/tests.txt \
        "${mmagic_deps[@]}"
    # torch's metadata requires triton, and pip installs it whenever it resolves torch; it is a
    # separate top-level folder, so removing it touches nothing else.
    while read -r name by; do
        if [ "$by" = torch ]; then "$py" -m pip uninstall -q -y "$name"; fi
    done < <(omitted)
    ;;
check)
    [ $# -eq 2 ] || usage
    expected=$(omitted | while read -r name by; do
        echo "$by $name"; done | norm | sort)
    out=$("$py" -m pip check 2>&1) && { echo "$out"; exit 0; }
    # "mmagic 1.2.0 requires mediapipe, which is not installed." -> "mmagic mediapipe"
    missing=$(printf '%s\n' "$out" \
        | sed -nE 's/^([^ ]+) [^ ]+ requires ([^ ,]+), which is not installed\.$/\1 \2/p' | norm | sort)
    others=$(printf '%s\n' "$out" | grep -vE '^[^ ]+ [^ ]+ requires [^ ,]+, which is not installed\.$' || true)
    unexpected=$(comm -23 <(printf '%s\n' "$missing") <(printf '%s\n' "$expected") | grep . || true)
    if [ -n "$others" ] || [ -n "$unexpected" ]; then
        echo "$out" >&2
        echo "setup_cpu_only: pip check found problems beyond $OMIT" >&2
        exit 1
    fi
    echo "pip check: only the requirements of $OMIT are missing (on purpose):"
    printf '%s\n' "$out" | sed 's/^/  /'
    ;;
*) usage ;;
esac
