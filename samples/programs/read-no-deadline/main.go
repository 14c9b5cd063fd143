// Clients read replies from a backend that accepted their connections and
// never answers. No read deadline is set, so each client goroutine waits in
// conn.Read for as long as the connection stays open.
package main

import (
	"fmt"
	"net"
	"os"

	"example.com/shop/dumpkit"
)

// held keeps the backend's side of every connection open (and unanswered).
var held []net.Conn

func backend(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		held = append(held, c)
	}
}

// fetchPrice sends a request and waits for the reply. Bug: no
// conn.SetReadDeadline, so a backend that never answers blocks it forever.
func fetchPrice(addr string, sku int) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Fprintf(conn, "PRICE %d\n", sku)
	buf := make([]byte, 512)
	_, _ = conn.Read(buf)
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go backend(ln)
	for i := 0; i < 5; i++ {
		go fetchPrice(ln.Addr().String(), i)
	}
	dumpkit.Dump()
}
