#!/usr/bin/env bash
# Installs the Debian 12 packages PeeBot Testbed needs, and nothing else.
# Idempotent: when everything is present it only checks and exits.
# Run as root (or with sudo available). Usage: scripts/setup.sh
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libsimgrid-dev
  libboost-program-options-dev libboost-dev
  libhdf5-dev hdf5-tools python3-h5py python3-numpy zlib1g-dev
  libeigen3-dev
  libtomlplusplus-dev
  nlohmann-json3-dev
  catch2
  libimgui-dev libglfw3-dev libgl-dev libstb-dev fonts-dejavu-core xvfb xauth libgl1-mesa-dri mesa-utils
  libssl-dev libcurl4-openssl-dev nodejs clang
  python3-simpy  # scripts/bench.sh's SimPy peer (../shared/bench/simpy_peer.py); the pair is skipped without it
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm (the live-mode test installs the official Lightstreamer Node client):
# Debian's package, unless a nodejs that bundles npm is already installed.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
