// A NATS-like server whose connection teardown forgets its writeLoop: when
// a client disconnects, the readLoop drops the client and returns without
// waking the writeLoop, which waits on its sync.Cond forever. 30 of 40
// clients have disconnected; the other 10 are served normally (their
// readLoops in IO wait beside their writeLoops).
package main

import (
	"bufio"
	"net"
	"sync"
	"time"

	"example.com/shop/dumpkit"
)

type client struct {
	id   int
	nc   net.Conn
	mu   sync.Mutex
	cond *sync.Cond
	out  [][]byte
	srv  *server
}

type server struct {
	mu      sync.Mutex
	clients map[int]*client
}

// readLoop reads the client's lines and echoes them through the writeLoop.
// On disconnect it removes the client but never wakes its writeLoop (the
// bug: no closed flag, no Broadcast).
func (c *client) readLoop() {
	r := bufio.NewReader(c.nc)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			c.srv.mu.Lock()
			delete(c.srv.clients, c.id)
			c.srv.mu.Unlock()
			c.nc.Close()
			return
		}
		c.queue([]byte(line))
	}
}

func (c *client) queue(msg []byte) {
	c.mu.Lock()
	c.out = append(c.out, msg)
	c.mu.Unlock()
	c.cond.Signal()
}

// writeLoop flushes what was queued and waits on the Cond when there is
// nothing; it has no way to learn that the client is gone.
func (c *client) writeLoop() {
	for {
		c.mu.Lock()
		for len(c.out) == 0 {
			c.cond.Wait()
		}
		out := c.out
		c.out = nil
		c.mu.Unlock()
		for _, m := range out {
			if _, err := c.nc.Write(m); err != nil {
				return
			}
		}
	}
}

func (s *server) acceptLoop(ln net.Listener) {
	for id := 0; ; id++ {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c := &client{id: id, nc: nc, srv: s}
		c.cond = sync.NewCond(&c.mu)
		s.mu.Lock()
		s.clients[id] = c
		s.mu.Unlock()
		go c.readLoop()
		go c.writeLoop()
	}
}

// open holds the clients that stay connected (a finalizer would close a
// connection nothing references).
var open []net.Conn

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := &server{clients: map[int]*client{}}
	go s.acceptLoop(ln)
	var conns []net.Conn
	for i := 0; i < 40; i++ {
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		nc.Write([]byte("hello\n"))
		conns = append(conns, nc)
	}
	time.Sleep(200 * time.Millisecond)
	for _, nc := range conns[:30] {
		nc.Close()
	}
	open = conns[30:]
	dumpkit.Dump()
}
