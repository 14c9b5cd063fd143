// A healthy service at rest: an HTTP server waiting for connections, an idle
// worker pool, a ticker loop that also watches ctx, a signal handler, a
// goroutine blocked in a read syscall, one locked to its OS thread.
package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"example.com/shop/dumpkit"
)

type Job struct{ ID int }

func worker(ctx context.Context, jobs <-chan Job) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-jobs:
			_ = j
		}
	}
}

func housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func waitForSignals(ctx context.Context, cancel context.CancelFunc) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
		cancel()
	case <-ctx.Done():
	}
}

func readControlPipe(f *os.File) {
	buf := make([]byte, 64)
	_, _ = syscall.Read(int(f.Fd()), buf) // a blocking read syscall
}

func renderLoop(ctx context.Context) {
	runtime.LockOSThread() // a library that needs a fixed OS thread
	defer runtime.UnlockOSThread()
	<-ctx.Done()
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.NewServeMux(), ReadTimeout: 5 * time.Second}
	go srv.Serve(ln)
	jobs := make(chan Job)
	for i := 0; i < 4; i++ {
		go worker(ctx, jobs)
	}
	go housekeeping(ctx)
	go waitForSignals(ctx, cancel)
	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	defer w.Close()
	go readControlPipe(r)
	go renderLoop(ctx)
	startCgo()
	dumpkit.Dump()
}
