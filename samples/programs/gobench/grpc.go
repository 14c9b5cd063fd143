package main

import (
	"sync"
	"time"
)

// grpc#795: Stop locks the server, and on its way out locks it again
// instead of unlocking: Stop blocks on its own receiver's mutex, and every
// later caller queues behind it.
type grpcServer struct {
	mu    sync.Mutex
	lis   []string
	conns map[int]bool
}

func (s *grpcServer) Stop() {
	s.mu.Lock()
	s.lis = nil
	s.mu.Lock() // bug: meant Unlock
}

func (s *grpcServer) serveConn(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[id] = true
}

// grpc#1275: a stream reader waits on its receive buffer; the transport
// closed without closing the buffer.
type recvBuffer struct{ c chan []byte }

func (r *recvBuffer) read() []byte { return <-r.c }

// grpc#1424: the balancer's watcher returns on close, the notifier keeps
// sending on the unbuffered channel and the dialer waits for the notifier.
type balancer struct {
	notify chan []string
	done   chan struct{}
}

func (b *balancer) watch(closed chan struct{}) {
	select {
	case <-b.notify:
	case <-closed:
	}
}

func (b *balancer) sendUpdates() {
	b.notify <- []string{"a"}
	b.notify <- []string{"a", "b"} // the watcher is gone
	close(b.done)
}

func (b *balancer) dial() { <-b.done }

// grpc#1460: the keepalive loop holds the transport lock while it waits to
// be woken; the stream that would wake it must take the lock first.
type http2Client struct {
	mu      sync.Mutex
	awaken  chan struct{}
	streams int
}

func (t *http2Client) keepalive() {
	t.mu.Lock()
	defer t.mu.Unlock()
	<-t.awaken
}

func (t *http2Client) newStream() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.streams++
	t.awaken <- struct{}{}
}

// grpc#3017: a resolver update returns early while holding the lock; later
// updates and the close wait on it, the goroutine that took it is gone.
type ccResolver struct {
	mu    sync.Mutex
	done  bool
	addrs []string
}

func (c *ccResolver) update(addrs []string) {
	c.mu.Lock()
	if len(addrs) == 0 {
		return // bug: no Unlock
	}
	c.addrs = addrs
	c.mu.Unlock()
}

func (c *ccResolver) close() {
	c.mu.Lock()
	c.done = true
	c.mu.Unlock()
}

func init() {
	register("grpc-795-stop-relock", func() {
		background()
		s := &grpcServer{conns: map[int]bool{}}
		go s.Stop()
		pause()
		for i := 0; i < 2; i++ {
			go s.serveConn(i)
		}
	})
	register("grpc-1275-recv-buffer", func() {
		background()
		for i := 0; i < 2; i++ {
			r := &recvBuffer{c: make(chan []byte)}
			go r.read()
		}
	})
	register("grpc-1424-balancer-notify", func() {
		b := &balancer{notify: make(chan []string), done: make(chan struct{})}
		closed := make(chan struct{})
		go b.watch(closed)
		go b.sendUpdates()
		go b.dial()
		time.Sleep(10 * time.Millisecond)
		close(closed)
	})
	register("grpc-1460-keepalive-lock", func() {
		t := &http2Client{awaken: make(chan struct{})}
		go t.keepalive()
		pause()
		for i := 0; i < 2; i++ {
			go t.newStream()
		}
	})
	register("grpc-3017-resolver-unlock", func() {
		c := &ccResolver{}
		go c.update(nil)
		pause()
		go c.update([]string{"a"})
		go c.close()
	})
}
