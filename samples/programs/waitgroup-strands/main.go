// A batch counts one item too many in its WaitGroup: the goroutine that would
// close `finished` after Wait waits forever, and the 20 request handlers that
// wait for `finished` are stranded behind it. Beside them, two unrelated
// single-goroutine waits: two senders whose receivers returned.
package main

import (
	"sync"
	"time"

	"example.com/shop/dumpkit"
)

type Batch struct {
	wg       sync.WaitGroup
	finished chan struct{}
}

func (b *Batch) process(id int) {
	defer b.wg.Done()
	_ = id * 2
}

// closeWhenDone closes finished once every item is processed.
//
//go:noinline
func closeWhenDone(wg *sync.WaitGroup, finished chan<- struct{}) {
	wg.Wait()
	close(finished)
}

func (b *Batch) run(items []int) {
	b.wg.Add(len(items) + 1) // Bug: one Add too many.
	for _, it := range items {
		go b.process(it)
	}
	go closeWhenDone(&b.wg, b.finished)
}

// awaitBatch is a request handler waiting for the batch to finish. (Kept out
// of line, as a larger handler would be, so that the traceback prints its
// arguments.)
//
//go:noinline
func awaitBatch(finished <-chan struct{}) {
	<-finished
}

func audit(events chan<- string) {
	events <- "batch started"
}

func startAudit() {
	events := make(chan string)
	go audit(events)
	// Bug: returns without reading the event.
}

func lookup(out chan<- string) {
	out <- "late answer"
}

func firstOrTimeout() {
	out := make(chan string)
	go lookup(out)
	time.Sleep(time.Millisecond)
}

func main() {
	b := &Batch{finished: make(chan struct{})}
	b.run([]int{1, 2, 3, 4})
	for i := 0; i < 20; i++ {
		go awaitBatch(b.finished)
	}
	startAudit()
	firstOrTimeout()
	dumpkit.Dump()
}
