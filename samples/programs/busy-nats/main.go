// A healthy NATS-like message server under load: 1000 client connections,
// each served by a readLoop (waiting in IO for the client's next command)
// and a writeLoop waiting on a sync.Cond until there is something to flush;
// publishers and the readLoops signal it. The clients run in a child
// process, as they would on other machines.
package main

import (
	"bufio"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"example.com/shop/dumpkit"
)

// conns is the number of client connections (CONNS, default 1000).
var conns = 1000

type client struct {
	id   int
	nc   net.Conn
	mu   sync.Mutex
	cond *sync.Cond
	out  [][]byte
	subs map[string]bool
	srv  *server
}

type server struct {
	mu      sync.Mutex
	clients map[int]*client
}

// readLoop reads the client's commands: PUB subject payload, SUB subject.
func (c *client) readLoop() {
	r := bufio.NewReader(c.nc)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if len(line) > 4 && line[:4] == "SUB " {
			c.mu.Lock()
			c.subs[line[4:len(line)-1]] = true
			c.mu.Unlock()
			c.queue([]byte("+OK\n"))
			continue
		}
		c.srv.publish("orders", []byte(line))
	}
}

// queue appends a message for the writeLoop and wakes it.
func (c *client) queue(msg []byte) {
	c.mu.Lock()
	c.out = append(c.out, msg)
	c.mu.Unlock()
	c.cond.Signal()
}

// writeLoop flushes what was queued, and waits on the Cond when there is
// nothing.
func (c *client) writeLoop() {
	w := bufio.NewWriter(c.nc)
	for {
		c.mu.Lock()
		for len(c.out) == 0 {
			c.cond.Wait()
		}
		out := c.out
		c.out = nil
		c.mu.Unlock()
		for _, m := range out {
			w.Write(m)
		}
		if err := w.Flush(); err != nil {
			return
		}
	}
}

func (s *server) publish(subject string, msg []byte) {
	s.mu.Lock()
	targets := make([]*client, 0, 4)
	for i := 0; i < 4; i++ {
		if c := s.clients[rand.Intn(conns)]; c != nil {
			targets = append(targets, c)
		}
	}
	s.mu.Unlock()
	for _, c := range targets {
		c.queue(msg)
	}
}

// acceptLoop accepts client connections and starts their two loops.
func (s *server) acceptLoop(ln net.Listener) {
	for id := 0; ; id++ {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c := &client{id: id, nc: nc, subs: map[string]bool{}, srv: s}
		c.cond = sync.NewCond(&c.mu)
		s.mu.Lock()
		s.clients[id] = c
		s.mu.Unlock()
		go c.readLoop()
		go c.writeLoop()
	}
}

// systemPublisher publishes the server's own events now and then.
func (s *server) systemPublisher() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		s.publish("$SYS", []byte("MSG $SYS heartbeat\n"))
	}
}

// load is the child process: conns clients that subscribe, publish now and
// then, and read what they are sent.
func load(addr string) {
	var all []net.Conn
	for i := 0; i < conns; i++ {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			os.Exit(1)
		}
		fmt.Fprintf(nc, "SUB orders\n")
		all = append(all, nc)
	}
	buf := make([]byte, 1<<16)
	for i := 0; ; i++ {
		nc := all[i%len(all)]
		fmt.Fprintf(nc, "PUB orders %d\n", i)
		nc.SetReadDeadline(time.Now().Add(time.Millisecond))
		nc.Read(buf)
		if i%len(all) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func main() {
	if n, err := strconv.Atoi(os.Getenv("CONNS")); err == nil && n > 0 {
		conns = n
	}
	if len(os.Args) > 2 && os.Args[1] == "load" {
		load(os.Args[2])
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := &server{clients: map[int]*client{}}
	go s.acceptLoop(ln)
	go s.systemPublisher()
	self, _ := os.Executable()
	child := exec.Command(self, "load", ln.Addr().String())
	child.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := child.Start(); err != nil {
		panic(err)
	}
	for {
		s.mu.Lock()
		n := len(s.clients)
		s.mu.Unlock()
		if n >= conns {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	dumpkit.Dump()
}
