// Checkout handlers run under pprof labels (handler, tenant, route) and
// wait for an inventory reply that never comes: the inventory client
// dropped their requests. Each handler also starts a watchdog goroutine,
// which inherits the handler's labels. A few unlabelled workers idle on a
// queue.
//
// With LABELS_OUT set, the program writes its goroutine profile at debug=1
// (one `# labels: {...}` line per distinct stack and label set) into that
// file before dumping: the answer key of the labels a core of the same
// moment holds.
package main

import (
	"context"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"example.com/shop/dumpkit"
)

type request struct {
	item  string
	reply chan int
}

// inventory drops every request: nobody ever answers.
var inventory = make(chan request, 16)

func reserve(ctx context.Context, item string) int {
	r := request{item: item, reply: make(chan int)}
	inventory <- r
	return <-r.reply // blocks forever
}

func watchdog(ctx context.Context, done <-chan struct{}) {
	<-done // never closed: the handler never finishes
}

func checkout(ctx context.Context, items []string) {
	done := make(chan struct{})
	go watchdog(ctx, done)
	for _, it := range items {
		reserve(ctx, it)
	}
	close(done)
}

func serve(tenant, route string, items []string, started *sync.WaitGroup) {
	defer started.Done()
	labels := pprof.Labels("handler", "checkout", "tenant", tenant)
	go pprof.Do(context.Background(), labels, func(ctx context.Context) {
		if route == "" {
			checkout(ctx, items)
			return
		}
		// A nested label set adds the route.
		pprof.Do(ctx, pprof.Labels("route", route), func(ctx context.Context) {
			checkout(ctx, items)
		})
	})
}

func worker(queue <-chan func()) {
	for f := range queue {
		f()
	}
}

func main() {
	var started sync.WaitGroup
	for _, h := range []struct {
		tenant, route string
	}{
		{"t1", ""},
		{"t1", ""},
		{"t2", ""},
		{"t2", "/cart/{id} POST"},
		{"acme-eu", "/cart/{id} POST"},
	} {
		started.Add(1)
		go serve(h.tenant, h.route, []string{"book", "lamp"}, &started)
	}
	started.Wait()
	queue := make(chan func())
	for i := 0; i < 3; i++ {
		go worker(queue)
	}
	// Every handler and watchdog is parked under its labels by then.
	time.Sleep(300 * time.Millisecond)
	if path := os.Getenv("LABELS_OUT"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.Lookup("goroutine").WriteTo(f, 1)
			f.Close()
		}
	}
	dumpkit.Dump()
}
