// Package gotest is a tiny connection pool with tests: one test hangs
// (a checkout nobody answers, so `go test -timeout` panics and prints every
// goroutine), one panics (an index out of range in a helper, re-panicked by
// the testing package).
package gotest

import "sync"

type Pool struct {
	mu    sync.Mutex
	conns []int
	wait  chan int
}

func NewPool(n int) *Pool {
	p := &Pool{wait: make(chan int)}
	for i := 0; i < n; i++ {
		p.conns = append(p.conns, i)
	}
	return p
}

// Get takes a connection, waiting for one to be returned when none is left.
func (p *Pool) Get() int {
	p.mu.Lock()
	if len(p.conns) > 0 {
		c := p.conns[len(p.conns)-1]
		p.conns = p.conns[:len(p.conns)-1]
		p.mu.Unlock()
		return c
	}
	p.mu.Unlock()
	return <-p.wait
}

// Nth returns the n-th free connection.
func (p *Pool) Nth(n int) int {
	return p.conns[n]
}
