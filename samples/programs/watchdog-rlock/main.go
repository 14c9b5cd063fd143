// A cache's Stats takes RLock and calls Len, which takes RLock again; two
// callers of Stats hold the read lock when a writer queues, and all three are
// stuck on the one RWMutex. A watchdog that waits for the reports panics when
// they do not come in time, and its panic writes the dump: the panic is the
// symptom, the recursive RLock its cause.
package main

import (
	"fmt"
	"sync"
	"time"
)

type Cache struct {
	mu    sync.RWMutex
	items map[string]string
}

func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.items)
}

func (c *Cache) Stats() (int, int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	time.Sleep(50 * time.Millisecond) // a writer arrives here
	return c.Len(), cap([]int{})      // Bug: recursive RLock
}

func (c *Cache) Put(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items[k] = v
}

// watchdog panics when done is not closed within limit.
func watchdog(what string, done <-chan struct{}, limit time.Duration) {
	select {
	case <-done:
	case <-time.After(limit):
		panic(fmt.Sprintf("deadlock detected: %s did not finish within %v", what, limit))
	}
}

func main() {
	c := &Cache{items: map[string]string{}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Stats()
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	time.Sleep(10 * time.Millisecond)
	go c.Put("a", "b")
	go watchdog("cache stats", done, time.Second)
	<-done
}
