// The gVisor peer of the interop benchmark: gVisor's netstack (as Debian
// packages it) on a TUN device, serving the three ports the benchmark's
// client drives: 5201 read and discard, 5202 send zeros until the client
// goes, 5203 echo. Built by bench/interop.ts when golang-go and
// golang-gvisor-gvisor-dev are installed:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o gvisor-peer main.go
//
// Usage: gvisor-peer IFNAME MTU ADDRESS. It creates the TUN interface,
// prints "ready", and serves until its standard input ends. The kernel's
// side (addresses, link up) is the caller's to configure.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/fdbased"
	"gvisor.dev/gvisor/pkg/tcpip/link/tun"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

func fail(what string, err interface{}) {
	fmt.Fprintf(os.Stderr, "gvisor-peer: %s: %v\n", what, err)
	os.Exit(1)
}

func discard(c net.Conn) {
	io.Copy(io.Discard, c)
	c.Close()
}

func source(c net.Conn) {
	zeros := make([]byte, 65536)
	for {
		if _, err := c.Write(zeros); err != nil {
			break
		}
	}
	c.Close()
}

func echo(c net.Conn) {
	io.Copy(c, c)
	c.Close()
}

func serve(l *gonet.TCPListener, handle func(net.Conn)) {
	for {
		c, err := l.Accept()
		if err != nil {
			fail("accept", err)
		}
		go handle(c)
	}
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gvisor-peer IFNAME MTU ADDRESS")
		os.Exit(2)
	}
	mtu, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fail("mtu", err)
	}
	ip := net.ParseIP(os.Args[3]).To4()
	if ip == nil {
		fail("address", os.Args[3])
	}
	fd, err := tun.Open(os.Args[1])
	if err != nil {
		fail("tun", err)
	}
	// Transmit checksum offload stays off: the kernel drops a TUN packet
	// whose checksum is left to it.
	ep, err := fdbased.New(&fdbased.Options{FDs: []int{fd}, MTU: uint32(mtu)})
	if err != nil {
		fail("fdbased", err)
	}
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	sack := tcpip.TCPSACKEnabled(true)
	if e := s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack); e != nil {
		fail("sack", e)
	}
	if e := s.CreateNIC(1, ep); e != nil {
		fail("nic", e)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.Address(ip).WithPrefix()}
	if e := s.AddProtocolAddress(1, pa, stack.AddressProperties{}); e != nil {
		fail("address", e)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: 1}})
	for port, handle := range map[uint16]func(net.Conn){5201: discard, 5202: source, 5203: echo} {
		l, err := gonet.ListenTCP(s, tcpip.FullAddress{NIC: 1, Port: port}, ipv4.ProtocolNumber)
		if err != nil {
			fail("listen", err)
		}
		go serve(l, handle)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}
