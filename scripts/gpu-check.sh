#!/usr/bin/env bash
# The GPU check (npm run bench:gpu, benchmarks/perf/gpu/run.ts) on a GPU machine, e.g. one lent through the
# `device` tool. That machine has no Node, no npm and no network; only the checkout travels, so Node and the
# production dependencies (tsx and webgpu among them: no vitest, no fast-check there) are packed here first.
#
# 1. Here, in the checkout, once (about 4 minutes; writes .device-pack/, ~45 MB, which git ignores):
#        npm ci
#        bash ../shared/gpu/pack-for-device.sh
#    In a git worktree (.git is a file) that script stops at its first line, which appends to .git/info/exclude:
#    run it in a plain clone and copy .device-pack/ here (.gitignore lists it, so it never travels as a tracked file).
# 2. On the GPU machine (the device tool runs its command in the checkout's root): carry [".device-pack"] and run
#        bash scripts/gpu-check.sh
#    with a timeout_s of about 420: unpacking takes up to a minute, the check itself is given 300 s (timeout
#    below). Extra arguments go to the check (e.g. --trials 1,40,160). The printout and the JSON go to $OUT
#    (the device tool brings that folder back), else to results/.
# 3. Hand the machine back (give_back) unless you rerun at once.
#
# On a machine that already has Node and `npm ci` done (a workstation with a GPU), the same script runs the check
# directly: the pack's prelude runs only where there is no `node` on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  if [ ! -f .device-pack/prelude.sh ]; then
    echo "gpu-check: no node on PATH and no .device-pack/: run 'bash ../shared/gpu/pack-for-device.sh' in the checkout first and carry .device-pack" >&2
    exit 1
  fi
  bash .device-pack/prelude.sh            # Vulkan / EGL loaders, Node into /tmp/rsn-node, node_modules
  export PATH=/tmp/rsn-node:$PATH
fi
# The prelude runs in a shell of its own, so its exports are repeated here: NVIDIA's Vulkan ICD, a runtime dir.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$icd" ]; then export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$icd}; fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

out=${OUT:-results}
mkdir -p "$out"
echo "gpu-check: node $(node --version); $(nvidia-smi -L 2>/dev/null | head -1 || echo 'nvidia-smi: not found')" >&2
timeout 300 node --import tsx benchmarks/perf/gpu/run.ts --json "$out/gpu-check.json" "$@" | tee "$out/gpu-check.txt"
