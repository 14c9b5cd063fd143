package main

import (
	"errors"
	"sync"
)

// etcd#5509: a read path returns an error while holding the read lock; the
// next writer waits forever, and readers queue behind that writer.
type kvStore struct {
	mu   sync.RWMutex
	data map[string]string
}

func (k *kvStore) get(key string) (string, error) {
	k.mu.RLock()
	if key == "" {
		return "", errors.New("empty key") // bug: no RUnlock
	}
	v := k.data[key]
	k.mu.RUnlock()
	return v, nil
}

func (k *kvStore) put(key, v string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.data[key] = v
}

// etcd#6708: Dial holds the read lock and calls endpoints(), which read-locks
// again; a writer queued in between blocks both.
type etcdClient struct {
	mu  sync.RWMutex
	eps []string
}

func (c *etcdClient) endpoints() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.eps
}

func (c *etcdClient) dial(writerQueued chan struct{}) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	<-writerQueued
	pause()
	_ = c.endpoints()
}

func (c *etcdClient) setEndpoints(eps []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.eps = eps
}

// etcd#7443: closing the watchers waits for them while holding the lock they
// take before finishing.
type watcherGroup struct {
	mu sync.Mutex
	wg sync.WaitGroup
	n  int
}

func (w *watcherGroup) watch() {
	defer w.wg.Done()
	pause()
	w.mu.Lock()
	w.n++
	w.mu.Unlock()
}

func (w *watcherGroup) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.wg.Wait()
}

// etcd#7492: the token keeper sends a new token on an unbuffered channel
// while holding its lock; its run loop must take the lock before receiving.
type ttlKeeper struct {
	mu     sync.Mutex
	addc   chan string
	tokens map[string]int
}

func (k *ttlKeeper) addToken(t string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.addc <- t
}

func (k *ttlKeeper) run() {
	for {
		pause()
		k.mu.Lock() // expire old tokens first
		for t := range k.tokens {
			k.tokens[t]--
		}
		k.mu.Unlock()
		t := <-k.addc
		k.tokens[t] = 10
	}
}

// etcd#6857: status requests go to the node's run loop over a channel; the
// run loop has stopped, the requests wait forever.
type raftNode struct {
	status chan chan int
	stop   chan struct{}
}

func (n *raftNode) run() {
	for {
		select {
		case c := <-n.status:
			c <- 1
		case <-n.stop:
			return
		}
	}
}

func (n *raftNode) getStatus() int {
	c := make(chan int)
	n.status <- c // bug: no case for a stopped node
	return <-c
}

func init() {
	register("etcd-5509-rlock-error-path", func() {
		background()
		k := &kvStore{data: map[string]string{}}
		go func() { _, _ = k.get("") }()
		pause()
		go k.put("a", "1")
		pause()
		for i := 0; i < 2; i++ {
			go func() { _, _ = k.get("a") }()
		}
	})
	register("etcd-6708-recursive-rlock", func() {
		c := &etcdClient{}
		q := make(chan struct{})
		go c.dial(q)
		pause()
		go c.setEndpoints([]string{"a"})
		close(q)
	})
	register("etcd-7443-wait-under-lock", func() {
		background()
		w := &watcherGroup{}
		for i := 0; i < 3; i++ {
			w.wg.Add(1)
			go w.watch()
		}
		go w.close()
	})
	register("etcd-7492-lock-send", func() {
		k := &ttlKeeper{addc: make(chan string), tokens: map[string]int{}}
		go k.run()
		go k.addToken("t1")
		go k.addToken("t2")
	})
	register("etcd-6857-stopped-node", func() {
		background()
		n := &raftNode{status: make(chan chan int), stop: make(chan struct{})}
		go n.run()
		close(n.stop)
		pause()
		for i := 0; i < 2; i++ {
			go n.getStatus()
		}
	})
}
