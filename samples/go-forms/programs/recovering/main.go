// Command recovering is a server whose request handlers recover from panics
// and, before answering, write the goroutine profile at debug=2 to help
// debugging: the dump is written by a goroutine still inside the panic (its
// stack holds the `panic` frame under the deferred handler). A second
// handler recovered too and now waits to report its error to a reporter
// that has stopped reading.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"
)

type Request struct{ Path string }

var reports = make(chan string)

func lookup(m map[string]int, r *Request) int {
	var cache map[string]int
	if r.Path == "/boom" {
		cache["hits"]++ // assignment to entry in nil map
	}
	return m[r.Path]
}

// handle serves one request; a panic is recovered and dumped.
func handle(r *Request, dump bool) {
	defer func() {
		if v := recover(); v != nil {
			if dump {
				fmt.Fprintf(os.Stderr, "handler: recovered %v, dumping goroutines\n", v)
				_ = pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
				os.Exit(0)
			}
			reports <- fmt.Sprint(v)
		}
	}()
	lookup(map[string]int{}, r)
}

func main() {
	go handle(&Request{Path: "/boom"}, false)
	time.Sleep(200 * time.Millisecond)
	handle(&Request{Path: "/boom"}, true)
}
