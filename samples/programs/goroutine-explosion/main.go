// An event handler starts one goroutine per event; each waits for a slot of
// a saturated limiter, so goroutines pile up by the thousand at one site.
package main

import (
	"context"
	"runtime/pprof"
	"strconv"
	"sync"

	"example.com/shop/dumpkit"
)

type Dispatcher struct {
	slots chan struct{}
	mu    sync.Mutex
	sent  int
}

func (d *Dispatcher) deliver(event int) {
	d.slots <- struct{}{} // the limiter is full and nobody releases it
	d.mu.Lock()
	d.sent++
	d.mu.Unlock()
}

func (d *Dispatcher) OnEvent(event int) {
	go d.deliver(event) // Bug: unbounded goroutine per event.
}

func main() {
	d := &Dispatcher{slots: make(chan struct{}, 4)}
	for i := 0; i < 4; i++ {
		d.slots <- struct{}{}
	}
	for e := 0; e < 2000; e++ {
		// Goroutines inherit the pprof labels of their creator; Go 1.27
		// prints them in the traceback headers.
		labels := pprof.Labels("handler", "events", "shard", strconv.Itoa(e%4))
		pprof.Do(context.Background(), labels, func(context.Context) {
			d.OnEvent(e)
		})
	}
	dumpkit.Dump()
}
