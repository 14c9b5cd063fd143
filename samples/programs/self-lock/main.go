// Update locks the store and then calls Count, which locks the same mutex
// again. sync.Mutex is not reentrant: every worker that updates its store
// deadlocks on itself.
package main

import (
	"sync"

	"example.com/shop/dumpkit"
)

type Store struct {
	mu    sync.Mutex
	items map[string]int
}

func (s *Store) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// Update calls Count while holding s.mu. Bug: Count locks s.mu again.
func (s *Store) Update(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[k] = s.Count() + 1
}

func worker(id int) {
	s := &Store{items: map[string]int{}}
	s.Update("job")
	_ = id
}

func main() {
	for i := 0; i < 3; i++ {
		go worker(i)
	}
	dumpkit.Dump()
}
