#!/bin/sh
# udhcpc hook for test "VM" namespaces (udhcpc -s <this file>): sets the address, the default route and the
# MTU the server sent, and nothing else. Never use udhcpc's default script (nor dhclient-script) inside a
# network namespace: they rewrite /etc/resolv.conf, which there is the machine's real file.
# shellcheck disable=SC2154  # interface, ip, mask, mtu, router come from udhcpc
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set dev "$interface" up ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "${mtu:-}" ] && ip link set dev "$interface" mtu "$mtu"
    [ -n "${router:-}" ] && ip route replace default via "${router%% *}" dev "$interface"
    echo "dhcp $1: $ip/${mask:-24} router=${router:-} mtu=${mtu:-}" ;;
esac
exit 0
