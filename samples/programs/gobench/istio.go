package main

import "sync"

// istio#16224: the config store's handler holds the lock while pushing an
// event on an unbuffered channel; the event loop takes the lock before
// each receive.
type configStore struct {
	mu     sync.Mutex
	events chan string
	cache  map[string]bool
}

func (s *configStore) handle(ev string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cache[ev] = true
	s.events <- ev
}

func (s *configStore) eventLoop() {
	pause()
	for {
		s.mu.Lock()
		n := len(s.cache)
		s.mu.Unlock()
		_ = n
		<-s.events
	}
}

// istio#17860: push workers range over a queue channel that the shutdown
// path forgets to close.
type pushQueue struct{ c chan int }

func (q *pushQueue) worker() {
	for v := range q.c {
		_ = v
	}
}

// istio#18454: the server waits for its children before closing the stop
// channel they wait on.
type istioServer struct {
	wg   sync.WaitGroup
	stop chan struct{}
}

func (s *istioServer) child() {
	defer s.wg.Done()
	<-s.stop
}

func (s *istioServer) shutdown() {
	s.wg.Wait() // bug: close(s.stop) must come first
	close(s.stop)
}

func init() {
	register("istio-16224-lock-push", func() {
		background()
		s := &configStore{events: make(chan string), cache: map[string]bool{}}
		go s.handle("a")
		go s.eventLoop()
	})
	register("istio-17860-push-queue", func() {
		background()
		q := &pushQueue{c: make(chan int)}
		for i := 0; i < 3; i++ {
			go q.worker()
		}
		q.c <- 1
	})
	register("istio-18454-wait-before-close", func() {
		s := &istioServer{stop: make(chan struct{})}
		for i := 0; i < 3; i++ {
			s.wg.Add(1)
			go s.child()
		}
		go s.shutdown()
	})
}
