#!/bin/sh
# Installs the Debian packages the build and the tests need, only those
# that are missing. Run as root on Debian 12; a no-op when all are there.
set -eu

packages="build-essential autoconf automake libtool pkg-config
libleveldb-dev libcjson-dev libcurl4-openssl-dev libevent-dev libinih-dev
libhttp-parser-dev zlib1g-dev bats bats-assert bats-support mandoc curl clang-format jq
python3"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run as root or install them" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
