package main

import (
	"context"
	"errors"
	"sync"
)

// cockroach#584: a bootstrap path returns an error while holding the gossip
// mutex (no Unlock on that path); every later caller waits for a lock that
// nobody holds any more.
type gossip struct {
	mu    sync.Mutex
	infos map[string]int
}

func (g *gossip) bootstrap(resolvers int) error {
	g.mu.Lock()
	if resolvers == 0 {
		return errors.New("no resolvers") // bug: g.mu stays locked
	}
	g.mu.Unlock()
	return nil
}

func (g *gossip) manage() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.infos["node"]++
}

// cockroach#2448: the store and its event feed each send to the other on an
// unbuffered channel before receiving (a channel cycle).
type storeFeed struct {
	events chan int
	acks   chan int
}

func (s *storeFeed) publish() {
	s.events <- 1
	<-s.acks
}

func (s *storeFeed) consume() {
	s.acks <- 1
	<-s.events
}

// cockroach#10214: a replica locks itself then its store, the store's raft
// loop locks the store then the replica (AB-BA).
type crStore struct {
	mu       sync.Mutex
	replicas []*crReplica
}

type crReplica struct {
	mu    sync.Mutex
	store *crStore
}

func (s *crStore) processRaft(r *crReplica, ready *sync.WaitGroup) {
	s.mu.Lock()
	ready.Done()
	ready.Wait()
	r.mu.Lock()
	r.mu.Unlock()
	s.mu.Unlock()
}

func (r *crReplica) tick(ready *sync.WaitGroup) {
	r.mu.Lock()
	ready.Done()
	ready.Wait()
	r.store.mu.Lock()
	r.store.mu.Unlock()
	r.mu.Unlock()
}

// cockroach#1055: Stop waits for the tasks to finish before draining their
// results; the tasks block sending results nobody reads yet.
type stopper struct {
	wg      sync.WaitGroup
	results chan int
}

func (s *stopper) runTask(i int) {
	defer s.wg.Done()
	s.results <- i
}

func (s *stopper) stop() {
	s.wg.Wait() // bug: the results are drained only after Wait
	for range s.results {
	}
}

// cockroach#13197: a transaction's heartbeat loop waits for its context, but
// the error path returns without calling cancel.
func heartbeat(ctx context.Context, beats chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-beats:
		}
	}
}

func beginTxn(fail bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	go heartbeat(ctx, make(chan struct{}))
	if fail {
		return errors.New("txn aborted") // bug: cancel is not called
	}
	cancel()
	return nil
}

func init() {
	register("cockroach-584-gossip-unlock", func() {
		background()
		g := &gossip{infos: map[string]int{}}
		go func() { _ = g.bootstrap(0) }()
		pause()
		for i := 0; i < 2; i++ {
			go g.manage()
		}
	})
	register("cockroach-2448-chan-cycle", func() {
		s := &storeFeed{events: make(chan int), acks: make(chan int)}
		go s.publish()
		go s.consume()
	})
	register("cockroach-10214-replica-store", func() {
		s := &crStore{}
		r := &crReplica{store: s}
		s.replicas = append(s.replicas, r)
		var ready sync.WaitGroup
		ready.Add(2)
		go s.processRaft(r, &ready)
		go r.tick(&ready)
	})
	register("cockroach-1055-stopper-drain", func() {
		background()
		s := &stopper{results: make(chan int)}
		for i := 0; i < 3; i++ {
			s.wg.Add(1)
			go s.runTask(i)
		}
		go s.stop()
	})
	register("cockroach-13197-txn-heartbeat", func() {
		for i := 0; i < 2; i++ {
			go func() { _ = beginTxn(true) }()
		}
	})
}
