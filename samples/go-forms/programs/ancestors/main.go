// Command ancestors runs a small job pool three goroutines deep (main starts
// the pool, the pool starts workers, each worker starts handlers that wait for
// jobs nobody sends) and then panics, so that with
// GODEBUG=tracebackancestors=N the traceback prints each handler's chain of
// creating goroutines after its own `created by` line.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

type Pool struct {
	jobs    chan int
	started sync.WaitGroup
}

// handle waits for a job that never comes.
func (p *Pool) handle(id int) {
	p.started.Done()
	for j := range p.jobs {
		_ = j + id
	}
}

// runWorker starts two handlers, then waits for jobs itself.
func (p *Pool) runWorker(id int) {
	for i := 0; i < 2; i++ {
		p.started.Add(1)
		go p.handle(id*10 + i)
	}
	p.started.Done()
	for j := range p.jobs {
		_ = j
	}
}

// start starts the workers and stays to supervise them.
func (p *Pool) start(workers int, done chan struct{}) {
	for i := 0; i < workers; i++ {
		p.started.Add(1)
		go p.runWorker(i)
	}
	p.started.Done()
	<-done
}

func main() {
	p := &Pool{jobs: make(chan int)}
	done := make(chan struct{})
	p.started.Add(1)
	go p.start(2, done)
	time.Sleep(100 * time.Millisecond)
	p.started.Wait()
	runtime.GC()
	time.Sleep(100 * time.Millisecond)
	panic(fmt.Sprintf("dumping %d goroutines for analysis", runtime.NumGoroutine()))
}
