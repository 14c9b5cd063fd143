package main

import (
	"sync"
	"time"
)

// kubernetes#1321: the mux distributes a batch of events to every watcher
// while holding its lock; a watcher that stops after its first event needs
// that lock to unregister, so the next send to it never completes, and the
// other watchers wait for events that never come.
type watchMux struct {
	mu       sync.Mutex
	watchers []chan int
}

func (m *watchMux) distribute(events []int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ev := range events {
		for _, w := range m.watchers {
			w <- ev
		}
	}
}

func (m *watchMux) stopWatching(c chan int) {
	m.mu.Lock() // unregister
	defer m.mu.Unlock()
	for i, w := range m.watchers {
		if w == c {
			m.watchers = append(m.watchers[:i], m.watchers[i+1:]...)
			break
		}
	}
}

func (m *watchMux) watcher(c chan int, stopAfterFirst bool) {
	for range c {
		if stopAfterFirst {
			m.stopWatching(c)
			return
		}
	}
}

// kubernetes#5316: a request runs its call in a goroutine and returns on
// timeout; the goroutine stays blocked sending its result.
func finishRequest(timeout time.Duration, fn func() int) (int, bool) {
	ch := make(chan int)
	go func() { ch <- fn() }()
	select {
	case r := <-ch:
		return r, true
	case <-time.After(timeout):
		return 0, false
	}
}

// kubernetes#6632: the framer's writer holds the lock while it resets the
// idle timer over an unbuffered channel; the monitor takes the lock before
// it reads the channel.
type idleFramer struct {
	mu    sync.Mutex
	reset chan bool
}

func (f *idleFramer) write() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reset <- true
}

func (f *idleFramer) monitor() {
	pause()
	f.mu.Lock()
	defer f.mu.Unlock()
	<-f.reset
}

// kubernetes#10182: the status manager sends on a full buffered channel
// while holding its lock; the syncer takes the lock before draining it.
type statusManager struct {
	mu      sync.Mutex
	updates chan int
}

func (s *statusManager) setStatus(v int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates <- v
}

func (s *statusManager) syncBatch() {
	pause()
	s.mu.Lock()
	defer s.mu.Unlock()
	<-s.updates
}

// kubernetes#25331: a watch goroutine reports its error on an unbuffered
// channel; the consumer already returned, and the parent waits for the
// goroutine.
type watchChan struct {
	errc chan error
	wg   sync.WaitGroup
}

func (w *watchChan) startWatching() {
	defer w.wg.Done()
	w.errc <- errClosed
}

type closedErr struct{}

func (closedErr) Error() string { return "closed" }

var errClosed error = closedErr{}

func (w *watchChan) run() {
	w.wg.Add(1)
	go w.startWatching()
	w.wg.Wait()
}

// kubernetes#26980: the pool holds its lock while waiting for a ready
// signal; the child that would send it takes the lock first.
type connPool struct {
	mu    sync.Mutex
	ready chan struct{}
}

func (p *connPool) provide() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ready <- struct{}{}
}

func (p *connPool) waitReady() {
	p.mu.Lock()
	defer p.mu.Unlock()
	go p.provide()
	<-p.ready
}

// kubernetes#30872: three controllers lock in a circle.
type ctrl struct {
	mu   sync.Mutex
	next *ctrl
}

func (c *ctrl) sync(ready *sync.WaitGroup) {
	c.mu.Lock()
	ready.Done()
	ready.Wait()
	c.next.mu.Lock()
	c.next.mu.Unlock()
	c.mu.Unlock()
}

// kubernetes#58107: get read-locks the queue and calls the small peek,
// which read-locks again (inlined: no address of its own); a writer queued
// in between blocks both, and later readers queue behind the writer.
type workQueue struct {
	mu    sync.RWMutex
	items []int
}

func (q *workQueue) peek() int {
	q.mu.RLock()
	n := len(q.items)
	q.mu.RUnlock()
	return n
}

func (q *workQueue) get(writerQueued chan struct{}) int {
	q.mu.RLock()
	defer q.mu.RUnlock()
	<-writerQueued
	pause()
	return q.peek()
}

func (q *workQueue) add(v int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, v)
}

// kubernetes#11298: a config watcher waits on a sync.Cond; the only
// goroutine that would broadcast returned on an error.
type configSource struct {
	mu      sync.Mutex
	cond    *sync.Cond
	updated bool
}

func (c *configSource) waitUpdate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.updated {
		c.cond.Wait()
	}
}

func init() {
	register("kubernetes-1321-mux-distribute", func() {
		background()
		m := &watchMux{}
		for i := 0; i < 2; i++ {
			c := make(chan int)
			m.watchers = append(m.watchers, c)
			go m.watcher(c, i == 0)
		}
		go m.distribute([]int{1, 2, 3})
	})
	register("kubernetes-5316-finish-request", func() {
		background()
		for i := 0; i < 3; i++ {
			finishRequest(time.Millisecond, func() int { time.Sleep(20 * time.Millisecond); return 1 })
		}
	})
	register("kubernetes-6632-idle-framer", func() {
		f := &idleFramer{reset: make(chan bool)}
		go f.write()
		go f.monitor()
	})
	register("kubernetes-10182-status-buffer", func() {
		background()
		s := &statusManager{updates: make(chan int, 1)}
		s.updates <- 0
		go s.setStatus(1)
		go s.syncBatch()
		go func() { pause(); pause(); s.setStatus(2) }()
	})
	register("kubernetes-25331-watch-errc", func() {
		background()
		w := &watchChan{errc: make(chan error)}
		go w.run()
	})
	register("kubernetes-26980-pool-ready", func() {
		p := &connPool{ready: make(chan struct{})}
		go p.waitReady()
	})
	register("kubernetes-30872-three-locks", func() {
		a, b, c := &ctrl{}, &ctrl{}, &ctrl{}
		a.next, b.next, c.next = b, c, a
		var ready sync.WaitGroup
		ready.Add(3)
		for _, x := range []*ctrl{a, b, c} {
			go x.sync(&ready)
		}
	})
	register("kubernetes-58107-inlined-rlock", func() {
		background()
		q := &workQueue{}
		w := make(chan struct{})
		go q.get(w)
		pause()
		go q.add(1)
		close(w)
		pause()
		pause()
		go q.peek()
	})
	register("kubernetes-11298-cond-no-broadcast", func() {
		c := &configSource{}
		c.cond = sync.NewCond(&c.mu)
		for i := 0; i < 2; i++ {
			go c.waitUpdate()
		}
	})
}
