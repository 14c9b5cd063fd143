// A handler fans out to several backends and returns on the first answer (or
// a timeout); the slower backends block forever sending on the unbuffered
// results channel nobody reads any more.
package main

import (
	"time"

	"example.com/shop/dumpkit"
)

type Quote struct {
	Backend string
	Price   int
}

func queryBackend(name string, delay time.Duration, out chan<- Quote) {
	time.Sleep(delay)
	out <- Quote{Backend: name, Price: len(name)} // blocks forever once the handler returned
}

func fastestQuote(backends []string) (Quote, bool) {
	results := make(chan Quote) // Bug: unbuffered; make(chan Quote, len(backends)) would let senders finish.
	for i, b := range backends {
		go queryBackend(b, time.Duration(i)*20*time.Millisecond, results)
	}
	select {
	case q := <-results:
		return q, true
	case <-time.After(100 * time.Millisecond):
		return Quote{}, false
	}
}

func main() {
	backends := []string{"alpha", "beta", "gamma", "delta"}
	for r := 0; r < 5; r++ {
		fastestQuote(backends)
	}
	dumpkit.Dump()
}
