// A client that never closes response bodies (and builds a Transport per
// request): every request leaves a persistConn readLoop and writeLoop behind.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"

	"example.com/shop/dumpkit"
)

func fetchPrice(url string) (int, error) {
	tr := &http.Transport{} // Bug: a new Transport (and connection pool) per request.
	client := &http.Client{Transport: tr}
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	// Bug: resp.Body.Close() is missing; the connection stays busy.
	buf := make([]byte, 2)
	_, _ = io.ReadAtLeast(resp.Body, buf, 1)
	return int(buf[0]), nil
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "42 and a longer body that is never fully read")
	}))
	url := "http://" + ln.Addr().String() + "/price"
	for i := 0; i < 6; i++ {
		if _, err := fetchPrice(url); err != nil {
			panic(err)
		}
	}
	dumpkit.Dump()
}
