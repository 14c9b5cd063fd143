package main

import (
	"context"
	"sync"
	"time"
)

// Healthy controls: the same primitives, every wait with a live partner.

// A worker pool whose producer is alive, a ticker loop, waiters on a context
// that a live goroutine will cancel.
func healthyPool() {
	background()
	ctx, cancel := context.WithCancel(context.Background())
	for i := 0; i < 3; i++ {
		go func() { <-ctx.Done() }()
	}
	go func() {
		time.Sleep(time.Hour)
		cancel()
	}()
}

// Lock waiters behind a holder that is sleeping (it will unlock), a Once
// whose function is sleeping, and a parent waiting for sleeping children.
type slowCache struct {
	mu   sync.Mutex
	once sync.Once
	wg   sync.WaitGroup
}

func (c *slowCache) refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	time.Sleep(time.Hour)
}

func (c *slowCache) get() {
	c.mu.Lock()
	defer c.mu.Unlock()
}

func (c *slowCache) load() {
	c.once.Do(func() { time.Sleep(time.Hour) })
}

func (c *slowCache) child() {
	defer c.wg.Done()
	time.Sleep(time.Hour)
}

func (c *slowCache) parent() {
	for i := 0; i < 2; i++ {
		c.wg.Add(1)
		go c.child()
	}
	c.wg.Wait()
}

func healthySlow() {
	c := &slowCache{}
	go c.refresh()
	go c.load()
	pause()
	for i := 0; i < 2; i++ {
		go c.get()
		go c.load()
	}
	go c.parent()
}

// Cond waiters with a live broadcaster, and a lock held across a channel
// receive whose sender is a live goroutine that does not need the lock.
type feed struct {
	mu    sync.Mutex
	cond  *sync.Cond
	n     int
	ready chan int
}

func (f *feed) wait() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.n < 1000 {
		f.cond.Wait()
	}
}

func (f *feed) tick() {
	for {
		time.Sleep(20 * time.Millisecond)
		f.mu.Lock()
		f.n++
		f.mu.Unlock()
		f.cond.Broadcast()
	}
}

func (f *feed) consume() {
	f.mu.Lock()
	defer f.mu.Unlock()
	<-f.ready
}

func (f *feed) produce() {
	time.Sleep(time.Hour)
	f.ready <- 1
}

func healthyFeed() {
	background()
	f := &feed{ready: make(chan int)}
	f.cond = sync.NewCond(&f.mu)
	go f.tick()
	for i := 0; i < 2; i++ {
		go f.wait()
	}
	go f.produce()
	go f.consume()
}

func init() {
	register("healthy-pool", healthyPool)
	register("healthy-slow-holders", healthySlow)
	register("healthy-feed", healthyFeed)
}
