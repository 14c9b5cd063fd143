// A cache refresh takes the cache's lock and then waits on a slow backend
// while holding it; every request that reads the cache queues behind it.
package main

import (
	"sync"

	"example.com/shop/dumpkit"
)

type Cache struct {
	mu      sync.Mutex
	items   map[string]string
	backend chan string
}

// refresh holds c.mu across a call to the backend. Bug: the slow part should
// run outside the lock.
func (c *Cache) refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items["price"] = <-c.backend // the backend never answers
}

func (c *Cache) Get(k string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.items[k]
}

func handleRequest(c *Cache, id int) {
	_ = c.Get("price")
	_ = id
}

var cache = &Cache{items: map[string]string{}, backend: make(chan string)}

func main() {
	go cache.refresh()
	dumpkit.Settle()
	for i := 0; i < 40; i++ {
		go handleRequest(cache, i)
	}
	dumpkit.Dump()
}
