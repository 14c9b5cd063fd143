// A cache method takes RLock and calls a helper that takes RLock again; a
// writer queued in between makes the second RLock wait for the writer, which
// waits for the first RLock: both stuck.
package main

import (
	"sync"
	"time"

	"example.com/shop/dumpkit"
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

func main() {
	c := &Cache{items: map[string]string{}}
	go c.Stats()
	time.Sleep(10 * time.Millisecond)
	go c.Put("a", "b")
	dumpkit.Dump()
}
