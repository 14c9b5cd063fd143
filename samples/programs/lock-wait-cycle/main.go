// flush holds the stats lock while it waits for its workers, and every worker
// needs that lock to finish: a wait-for cycle through a mutex and a
// WaitGroup, which no goroutine on it can break.
package main

import (
	"sync"

	"example.com/shop/dumpkit"
)

type Stats struct {
	mu sync.Mutex
	n  int
}

func (s *Stats) add() {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
}

// flush starts the workers and waits for them. Bug: it waits while holding
// s.mu, which every worker needs before it can call Done.
func (s *Stats) flush(workers int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.add()
		}()
	}
	wg.Wait()
}

func main() {
	go (&Stats{}).flush(3)
	dumpkit.Dump()
}
