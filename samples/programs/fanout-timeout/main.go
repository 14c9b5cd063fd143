// A price service asks every backend for a quote and gives up after a timeout;
// each backend goroutine sends its answer on the unbuffered results channel
// the caller no longer reads. Four requests to 100 slow backends strand 400
// senders: the fix is a buffered channel or a select on the context, not a
// bound on concurrency.
package main

import (
	"time"

	"example.com/shop/dumpkit"
)

type Quote struct {
	Backend int
	Price   int
}

func queryBackend(id int, delay time.Duration, out chan<- Quote) {
	time.Sleep(delay)
	out <- Quote{Backend: id, Price: id * 3} // blocks forever once the caller gave up
}

func bestQuote(backends int, timeout time.Duration) (Quote, bool) {
	results := make(chan Quote) // Bug: unbuffered; make(chan Quote, backends) lets every sender finish.
	for i := 0; i < backends; i++ {
		go queryBackend(i, timeout+time.Duration(i+5)*time.Millisecond, results)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case q := <-results:
		return q, true
	case <-timer.C:
		return Quote{}, false
	}
}

func main() {
	for r := 0; r < 4; r++ {
		bestQuote(100, 20*time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	dumpkit.Dump()
}
