// Consumers wait on a sync.Cond for work that is added without Signal or
// Broadcast: they sleep in "sync.Cond.Wait" forever.
package main

import (
	"sync"

	"example.com/shop/dumpkit"
)

type Queue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	items []int
}

func (q *Queue) Take() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		q.cond.Wait()
	}
	it := q.items[0]
	q.items = q.items[1:]
	return it
}

func (q *Queue) Add(it int) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	// Bug: q.cond.Signal() is missing.
}

func main() {
	q := &Queue{}
	q.cond = sync.NewCond(&q.mu)
	for i := 0; i < 3; i++ {
		go q.Take()
	}
	dumpkit.Settle()
	q.Add(1)
	dumpkit.Dump()
}
