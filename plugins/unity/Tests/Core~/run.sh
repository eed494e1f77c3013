#!/usr/bin/env bash
# Build the engine-free core and its tests with mono's mcs and run them (no Unity needed):
#   plugins/unity/Tests/Core~/run.sh [--filter NAME]
# Needs: mono-mcs, mono-runtime (scripts/system-packages.txt) and the repo's .venv (pyzmq peers,
# `facecast serve`, `facecast` bake writer). Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
mcs -nologo -warnaserror+ -langversion:7 -out:"$out/FacecastCoreTests.exe" -r:System.Core.dll \
    "$here"/../../Runtime/Core/*.cs "$here"/*.cs
espeak-ng -w "$out/speech.wav" "Hello there. My mouth opens on vowels, and shuts on my bilabials."
"$python" -c "import sys, cv2; from skimage import data; cv2.imwrite(sys.argv[1], cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))" "$out/astronaut.png"
mono "$out/FacecastCoreTests.exe" --fixtures "$repo/docs/protocol/fixtures" --python "$python" \
    --peers "$here/peers.py" --repo "$repo" --speech "$out/speech.wav" --portrait "$out/astronaut.png" "$@"
