#!/usr/bin/env bash
# Records the kernel-made captures under test/fixtures/kernel and the text the
# real tcpdump prints for them. Needs root, iproute2, tcpdump, curl, python3,
# hping3, iptables, ethtool and ping. Everything happens inside two network namespaces that
# this script creates and deletes; no other address is ever contacted.
set -euo pipefail

OUT=${1:-$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/kernel}
A=synack-fx-a
B=synack-fx-b
WORK=$(mktemp -d)
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns del "$A" 2>/dev/null || true
ip netns del "$B" 2>/dev/null || true
ip netns add "$A"
ip netns add "$B"
ip link add fxa netns "$A" type veth peer name fxb netns "$B"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" addr add 10.99.0.1/24 dev fxa
ip -n "$B" addr add 10.99.0.2/24 dev fxb
ip -n "$A" addr add fd00:99::1/64 dev fxa nodad
ip -n "$B" addr add fd00:99::2/64 dev fxb nodad
ip -n "$A" link set fxa up
ip -n "$B" link set fxb up
# Fixed MAC addresses so the link header is the same every time.
ip -n "$A" link set fxa address 02:00:00:99:00:01
ip -n "$B" link set fxb address 02:00:00:99:00:02
# Segmentation offloads off, so that every segment on the wire is MSS-sized
# and a dropped packet leaves a hole the receiver reports with SACK.
ip netns exec "$A" ethtool -K fxa tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec "$B" ethtool -K fxb tso off gso off gro off >/dev/null 2>&1 || true

# Content served by the peer: a small page and a larger file for the lossy transfer.
mkdir -p "$WORK/www"
printf '<html><body>synack fixture</body></html>\n' > "$WORK/www/index.html"
head -c 600000 /dev/zero | tr '\0' 'x' > "$WORK/www/big.bin"

ip netns exec "$B" python3 -m http.server 80 --bind :: --directory "$WORK/www" >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$B" python3 -m http.server 8000 --bind :: --directory "$WORK/www" >/dev/null 2>&1 &
PIDS+=($!)
sleep 1
# Warm the neighbour caches so ARP/ND does not appear in the captures.
ip netns exec "$A" ping -c 1 -W 1 10.99.0.2 >/dev/null
ip netns exec "$A" ping -6 -c 1 -W 1 fd00:99::2 >/dev/null

capture() { # name snaplen command...
  local name=$1 snap=$2
  shift 2
  ip netns exec "$A" tcpdump -i fxa -s "$snap" -U -w "$OUT/$name.pcap" >/dev/null 2>&1 &
  local tp=$!
  sleep 1
  "$@" || true
  sleep 1
  kill -INT "$tp"
  wait "$tp" || true
}

mkdir -p "$OUT"
capture http-curl 262144 ip netns exec "$A" curl -s -o /dev/null http://10.99.0.2/index.html
capture refused 262144 ip netns exec "$A" curl -s -o /dev/null http://10.99.0.2:81/
capture ipv6-curl 262144 ip netns exec "$A" curl -s -o /dev/null -g 'http://[fd00:99::2]:8000/index.html'

# A lossy transfer: the client's firewall throws away about 4% of the data
# after the capture point, so the client reports the holes with SACK blocks
# and the server retransmits. A short snapshot length keeps the file small.
ip netns exec "$A" iptables -A INPUT -p tcp --sport 8000 -m statistic --mode random --probability 0.04 -j DROP
capture sack-loss 96 ip netns exec "$A" timeout 30 curl -s -o /dev/null http://10.99.0.2:8000/big.bin
ip netns exec "$A" iptables -L INPUT -v -n | sed -n 3p >&2
ip netns exec "$A" iptables -F INPUT

# Flag combinations from hping3 to a closed port (answered by RST or nothing),
# then ICMP echo and a UDP datagram to a closed port (ICMP port unreachable).
hping_all() {
  local f
  for f in -S -F -P -U -X -Y "-S -A" "-F -P -U" "-S -X -Y" "-A -R" "-F -S -R -P -A -U -X -Y" ""; do
    # shellcheck disable=SC2086
    ip netns exec "$A" hping3 -q -c 1 -p 9 $f 10.99.0.2 >/dev/null 2>&1 || true
  done
  ip netns exec "$A" ping -c 2 -i 0.2 10.99.0.2 >/dev/null
  ip netns exec "$A" ping -6 -c 2 -i 0.2 fd00:99::2 >/dev/null
  ip netns exec "$A" hping3 -q -c 1 --udp -p 9 10.99.0.2 >/dev/null 2>&1 || true
}
capture hping-flags 262144 hping_all

for f in "$OUT"/*.pcap; do
  base=${f%.pcap}
  TZ=GMT0 tcpdump -r "$f" -nn >"$base.nn.out" 2>/dev/null
  TZ=GMT0 tcpdump -r "$f" -nn -S >"$base.S.out" 2>/dev/null
  TZ=GMT0 tcpdump -r "$f" -nn -tt -v >"$base.tt-v.out" 2>/dev/null
  TZ=GMT0 tcpdump -r "$f" -nn -e >"$base.e.out" 2>/dev/null
done
ls -l "$OUT"
