package main

import (
	"errors"
	"sync"
)

// moby#4951: the device set locks itself then a device, deleting a device
// locks the device then the set (AB-BA); a third caller queues on the set.
type deviceSet struct {
	mu      sync.Mutex
	devices map[string]*devInfo
}

type devInfo struct {
	mu  sync.Mutex
	set *deviceSet
}

func (d *deviceSet) activate(info *devInfo, ready *sync.WaitGroup) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ready.Done()
	ready.Wait()
	info.mu.Lock()
	defer info.mu.Unlock()
}

func (info *devInfo) remove(ready *sync.WaitGroup) {
	info.mu.Lock()
	defer info.mu.Unlock()
	ready.Done()
	ready.Wait()
	info.set.mu.Lock()
	defer info.set.mu.Unlock()
}

func (d *deviceSet) status() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.devices)
}

// moby#7559: the UDP proxy's loop locks the connection table and skips
// Unlock on `continue`; its next iteration blocks on its own lock, and the
// cleaner queues behind it.
type udpProxy struct {
	mu    sync.Mutex
	conns map[int]bool
}

func (p *udpProxy) replyLoop(packets []int) {
	for _, pkt := range packets {
		p.mu.Lock()
		if pkt < 0 {
			continue // bug: p.mu stays locked
		}
		p.conns[pkt] = true
		p.mu.Unlock()
	}
}

func (p *udpProxy) clean() {
	pause()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = map[int]bool{}
}

// moby#17176: deactivating a device returns on an error with the set still
// locked; later calls wait on a lock no goroutine holds.
type thinPool struct {
	mu     sync.Mutex
	active int
}

func (t *thinPool) deactivate(name string) error {
	t.mu.Lock()
	if name == "" {
		return errors.New("unknown device") // bug: no Unlock
	}
	t.active--
	t.mu.Unlock()
	return nil
}

// moby#28462: the health monitor holds the container lock while it sends
// a probe result; the probe loop takes the container lock before reading.
type container struct {
	mu      sync.Mutex
	results chan int
	healthy bool
}

func (c *container) monitor() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.results <- 1
}

func (c *container) probeLoop() {
	pause()
	for {
		c.mu.Lock()
		c.healthy = true
		c.mu.Unlock()
		<-c.results
	}
}

// moby#29733: waiters on a sync.Cond for a plugin to become ready; the
// activation failed and nobody broadcasts.
type plugin struct {
	mu        sync.Mutex
	cond      *sync.Cond
	activated bool
}

func (p *plugin) waitActive() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.activated {
		p.cond.Wait()
	}
}

func (p *plugin) activate() error {
	return errors.New("activation failed") // bug: waiters are not woken
}

// moby#36114: a method takes the service lock and calls a helper that
// takes it again (sync.Mutex is not reentrant).
type svcStore struct {
	mu   sync.Mutex
	svcs map[string]int
}

func (s *svcStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.svcs)
}

func (s *svcStore) update(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.svcs[name] = s.count()
}

func init() {
	register("moby-4951-devmapper-abba", func() {
		background()
		d := &deviceSet{devices: map[string]*devInfo{}}
		info := &devInfo{set: d}
		d.devices["a"] = info
		var ready sync.WaitGroup
		ready.Add(2)
		go d.activate(info, &ready)
		go info.remove(&ready)
		pause()
		go d.status()
	})
	register("moby-7559-proxy-continue", func() {
		p := &udpProxy{conns: map[int]bool{}}
		go p.replyLoop([]int{1, -1, 2})
		go p.clean()
	})
	register("moby-17176-deactivate-unlock", func() {
		background()
		t := &thinPool{active: 3}
		go func() { _ = t.deactivate("") }()
		pause()
		for i := 0; i < 2; i++ {
			go func() { _ = t.deactivate("dev") }()
		}
	})
	register("moby-28462-health-monitor", func() {
		c := &container{results: make(chan int)}
		go c.monitor()
		go c.probeLoop()
	})
	register("moby-29733-plugin-cond", func() {
		background()
		p := &plugin{}
		p.cond = sync.NewCond(&p.mu)
		for i := 0; i < 2; i++ {
			go p.waitActive()
		}
		go func() { _ = p.activate() }()
	})
	register("moby-36114-service-relock", func() {
		s := &svcStore{svcs: map[string]int{}}
		go s.update("web")
	})
}
