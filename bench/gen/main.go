// benchgen parks N goroutines in five patterns of a small service, then
// panics with GOTRACEBACK=all so the runtime writes the whole dump to stderr.
// It writes the input of dumpscope's 500k-goroutine benchmark.
package main

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"time"
)

type Job struct{ ID int }

type Pool struct{ jobs chan Job }

func (p *Pool) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-p.jobs:
			p.process(j)
		}
	}
}

func (p *Pool) process(j Job) { _ = j }

type Cache struct {
	mu    sync.Mutex
	items map[int]int
}

func (c *Cache) Get(r *Request) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.items[r.ID]
}

// GetID is Get keyed by a plain integer: every goroutine then prints a
// different argument value (the -distinct-args variant of the benchmark).
func (c *Cache) GetID(id int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.items[id]
}

func (c *Cache) lookup(r *Request) int {
	if distinctArgs {
		return c.GetID(r.ID)
	}
	return c.Get(r)
}

var distinctArgs bool

type Server struct {
	cache *Cache
	pool  *Pool
}

type Request struct{ ID int }

func (s *Server) handleOrder(r *Request)    { s.loadCustomer(r) }
func (s *Server) loadCustomer(r *Request)   { s.cache.lookup(r) }
func (s *Server) fetchQuote(out chan<- int) { s.sendQuote(out) }
func (s *Server) sendQuote(out chan<- int)  { out <- 1 }

func batch(wg *sync.WaitGroup) { wg.Wait() }

func runBatch(wg *sync.WaitGroup) { batch(wg) }

func subscribe(ctx context.Context, updates <-chan int) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-updates:
		}
	}
}

func main() {
	n := flag.Int("n", 500000, "goroutines")
	flag.BoolVar(&distinctArgs, "distinct-args", false, "pass each handler's request id as a plain integer (one group per goroutine at the default similarity)")
	flag.Parse()
	ctx := context.Background()
	s := &Server{cache: &Cache{items: map[int]int{}}, pool: &Pool{jobs: make(chan Job)}}
	s.cache.mu.Lock() // held: every handler queues on it
	var wg sync.WaitGroup
	wg.Add(1)
	updates := make(chan int)
	for i := 0; i < *n; i++ {
		switch i % 5 {
		case 0:
			go s.pool.worker(ctx)
		case 1:
			go s.handleOrder(&Request{ID: i})
		case 2:
			go s.fetchQuote(make(chan int))
		case 3:
			go runBatch(&wg)
		case 4:
			go subscribe(ctx, updates)
		}
	}
	time.Sleep(time.Duration(*n/50000+2) * time.Second)
	panic(fmt.Sprintf("benchmark dump of %d goroutines", *n))
}
