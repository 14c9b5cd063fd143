// A healthy, busy node of a replicated store: a raft-like scheduler whose
// workers wait on a sync.Cond for ranges to process (a ticker loop and the
// transport enqueue work and signal them), distributed query flows that
// wait on the context of a request the server still holds, a worker pool
// idle on its job channel while its dispatcher (which sends to it) is
// alive, and tickers.
package main

import (
	"context"
	"math/rand"
	"net"
	"sync"
	"time"

	"example.com/shop/dumpkit"
)

// Scheduler hands ranges to a fixed set of workers.
type Scheduler struct {
	mu    sync.Mutex
	cond  *sync.Cond
	queue []int
	done  bool
}

// NewScheduler makes a scheduler; Start starts its workers.
func NewScheduler() *Scheduler {
	s := &Scheduler{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// Start starts n workers.
func (s *Scheduler) Start(n int) {
	for i := 0; i < n; i++ {
		go s.worker()
	}
}

func (s *Scheduler) worker() {
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.done {
			s.cond.Wait()
		}
		if s.done {
			s.mu.Unlock()
			return
		}
		rng := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		process(rng)
	}
}

func process(rng int) { time.Sleep(time.Duration(rng%3) * time.Millisecond) }

// Enqueue adds a range to process and wakes a worker.
func (s *Scheduler) Enqueue(rng int) {
	s.mu.Lock()
	s.queue = append(s.queue, rng)
	s.mu.Unlock()
	s.cond.Signal()
}

// tickLoop enqueues every range on each raft tick.
func (s *Scheduler) tickLoop(ctx context.Context, ranges int) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for r := 0; r < ranges; r++ {
				s.Enqueue(r)
			}
		}
	}
}

// Server runs query flows for the requests it holds.
type Server struct {
	mu    sync.Mutex
	flows map[int]context.CancelFunc
}

// runFlow is one processor of a distributed query: it waits until the
// request's context, held (and cancelled) by the server, is done.
func (srv *Server) runFlow(ctx context.Context, id int) {
	<-ctx.Done()
	srv.mu.Lock()
	delete(srv.flows, id)
	srv.mu.Unlock()
}

// serveLoop starts flows for incoming requests and cancels the finished ones.
func (srv *Server) serveLoop(ctx context.Context, conn net.Conn) {
	buf := make([]byte, 64)
	for id := 0; ctx.Err() == nil; id++ {
		conn.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		conn.Read(buf) // the gateway's requests
		fctx, cancel := context.WithCancel(ctx)
		srv.mu.Lock()
		srv.flows[id] = cancel
		if id >= 6 {
			if old, ok := srv.flows[id-6]; ok {
				old()
			}
		}
		srv.mu.Unlock()
		go srv.runFlow(fctx, id)
	}
}

// Pool is a worker pool fed by its dispatcher.
type Pool struct {
	jobs    chan int
	pending chan int
}

func (p *Pool) work() {
	for j := range p.jobs {
		time.Sleep(time.Duration(j%5) * time.Millisecond)
	}
}

// dispatch hands pending jobs to the workers; it owns the jobs channel.
func (p *Pool) dispatch(ctx context.Context) {
	defer close(p.jobs)
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-p.pending:
			p.jobs <- j
		}
	}
}

// submit feeds the pool now and then.
func submit(ctx context.Context, p *Pool) {
	for ctx.Err() == nil {
		time.Sleep(time.Duration(40+rand.Intn(40)) * time.Millisecond)
		p.pending <- rand.Intn(100)
	}
}

// metrics flushes counters on a ticker.
func metrics(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := NewScheduler()
	s.Start(8)
	go s.tickLoop(ctx, 4)

	gateway, node := net.Pipe()
	srv := &Server{flows: map[int]context.CancelFunc{}}
	go srv.serveLoop(ctx, node)
	go func() {
		for ctx.Err() == nil {
			gateway.Write([]byte("q"))
			time.Sleep(10 * time.Millisecond)
		}
	}()

	p := &Pool{jobs: make(chan int), pending: make(chan int)}
	for i := 0; i < 6; i++ {
		go p.work()
	}
	go p.dispatch(ctx)
	go submit(ctx, p)
	go metrics(ctx)
	time.Sleep(300 * time.Millisecond)
	dumpkit.Dump()
}
