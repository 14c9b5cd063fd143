package main

import "sync"

// syncthing#4829: the model read-locks its folder table, then locks the
// device; a device close locks the device, then write-locks the folder
// table (AB-BA across an RWMutex and a Mutex).
type model struct {
	fmut sync.RWMutex
	pmut sync.Mutex
}

func (m *model) index(ready *sync.WaitGroup) {
	m.fmut.RLock()
	defer m.fmut.RUnlock()
	ready.Done()
	ready.Wait()
	m.pmut.Lock()
	defer m.pmut.Unlock()
}

func (m *model) closeDevice(ready *sync.WaitGroup) {
	m.pmut.Lock()
	defer m.pmut.Unlock()
	ready.Done()
	ready.Wait()
	m.fmut.Lock()
	defer m.fmut.Unlock()
}

// syncthing#5795: a connection holds its lock while it hands a message to
// the dispatcher; the dispatcher locks the connection before receiving.
type rawConn struct {
	mu    sync.Mutex
	inbox chan []byte
	seen  int
}

func (c *rawConn) readerLoop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inbox <- []byte("hello")
}

func (c *rawConn) dispatcherLoop() {
	pause()
	for {
		c.mu.Lock()
		c.seen++
		c.mu.Unlock()
		<-c.inbox
	}
}

func (c *rawConn) Close() {
	pause()
	pause()
	c.mu.Lock()
	defer c.mu.Unlock()
}

func init() {
	register("syncthing-4829-rwmutex-abba", func() {
		background()
		m := &model{}
		var ready sync.WaitGroup
		ready.Add(2)
		go m.index(&ready)
		go m.closeDevice(&ready)
	})
	register("syncthing-5795-conn-dispatch", func() {
		c := &rawConn{inbox: make(chan []byte)}
		go c.readerLoop()
		go c.dispatcherLoop()
		go c.Close()
	})
}
