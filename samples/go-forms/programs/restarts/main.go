// Command restarts is a service that leaks one goroutine per request: each
// request starts a fetch whose result nobody reads once the caller has timed
// out. Run with ROUND=n it serves 10*n requests and then dumps its
// goroutines: DUMP=sigquit sends itself SIGQUIT (the supervisor restarts it
// and appends every dump to one log), DUMP=debug2 writes the goroutine
// profile at debug=2 after every 10 requests, eight times, in one process.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"
)

type result struct{ body string }

// fetch asks the backend; the caller may be gone when the answer comes.
func fetch(ch chan<- result, backend <-chan string) {
	body := <-backend
	ch <- result{body: body}
}

// serve answers one request within its deadline.
func serve(ctx context.Context, backend chan string) error {
	ch := make(chan result)
	go fetch(ch, backend)
	select {
	case r := <-ch:
		_ = r
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ticker is a healthy background loop.
func ticker(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

func requests(n int, backend chan string) {
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_ = serve(ctx, backend)
		cancel()
	}
}

func main() {
	backend := make(chan string)
	go func() {
		// The backend answers slower than the callers wait: every answer
		// goes to a fetch whose caller has left.
		for {
			time.Sleep(time.Second)
			backend <- "ok"
		}
	}()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go ticker(stop, &wg)
	switch os.Getenv("DUMP") {
	case "debug2":
		for round := 1; round <= 8; round++ {
			requests(10, backend)
			time.Sleep(20 * time.Millisecond)
			_ = pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
		}
	default:
		round, _ := strconv.Atoi(os.Getenv("ROUND"))
		requests(10*round, backend)
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintf(os.Stderr, "service: %d goroutines, dumping\n", runtime.NumGoroutine())
		_ = syscall.Kill(os.Getpid(), syscall.SIGQUIT)
		time.Sleep(5 * time.Second)
	}
}
