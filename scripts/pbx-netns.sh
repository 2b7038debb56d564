#!/usr/bin/env bash
# Run a command (typically the whole WebRTC end-to-end test, services included) in a private network
# namespace that has only loopback plus a veth named "vmnet0" holding the placeholder address
# 192.0.2.77, which dialplans/rtp.conf ([ice_host_candidates]) re-advertises to WebRTC peers as
# 127.0.0.1. Why (testbed.md section 7): Asterisk never offers a 127/8 ICE candidate by itself,
# Chromium ignores interfaces named vmnet*, and in the host namespace both sides would also offer the
# machine's real address (traffic that must not leave loopback).
#
#   usage: scripts/pbx-netns.sh <command...>      e.g. scripts/pbx-netns.sh bash -c 'scripts/services.sh start && npm run test:webrtc; scripts/services.sh stop'
#
# Needs root (unshare --net). Everything that must talk to each other (Asterisk, SIPp, the hotline
# server, PostgreSQL, Redis, the page server, Chromium) has to run inside the SAME namespace: loopback is
# per namespace. Unix sockets are not namespaced, so only one Asterisk per PBX root at a time (its
# control socket lives in the root). The namespace disappears when the command ends; a service left
# running inside it keeps the namespace alive, so stop services before the command returns.
set -euo pipefail
[ $# -gt 0 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "pbx-netns: needs root" >&2; exit 1; }
# The one way back out, for the test that must run on the machine's own network (one-machine-audio:
# npm start and a browser as a newcomer has them): fd 7 keeps the machine's namespace open, and
# `nsenter --net=$HOTLINE_HOST_NETNS` enters it. Every exec below keeps this pid and the fd.
exec 7</proc/self/ns/net
export HOTLINE_HOST_NETNS=/proc/$$/fd/7
exec unshare --net -- bash -c '
  set -e
  ip link set lo up
  # Ephemeral client ports stay below the fixed service ports (PostgreSQL 554xx, Redis 564xx):
  # otherwise a client socket can hold 127.0.0.1:554xx just when a test starts its own PostgreSQL there.
  echo "32768 54999" > /proc/sys/net/ipv4/ip_local_port_range
  ip link add vmnet0 type veth peer name vmnet1        # "dummy" links are not available on every kernel
  echo 1 > /proc/sys/net/ipv6/conf/vmnet0/disable_ipv6
  echo 1 > /proc/sys/net/ipv6/conf/vmnet1/disable_ipv6
  ip link set vmnet0 up
  ip link set vmnet1 up
  ip addr add 192.0.2.77/32 dev vmnet0                 # placeholder, never routed anywhere
  exec "$@"' pbx-netns "$@"
