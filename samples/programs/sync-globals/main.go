// Goroutines blocked on package-level primitives, each wait of a kind a
// core's memory can name: two transfers lock muA and muB in opposite order
// (AB-BA); reporters stranded on an unbuffered channel nobody reads and
// producers on a buffered one that filled up; consumers on a channel nobody
// sends on or closes; waiters on a WaitGroup counting one task that never
// ends; a writer and a reader queued behind a reader that never unlocks an
// RWMutex.
package main

import (
	"sync"
	"time"

	"example.com/shop/dumpkit"
)

var (
	muA, muB sync.Mutex
	results  = make(chan int)
	jobs     = make(chan int, 2)
	shutdown = make(chan struct{})
	pending  sync.WaitGroup
	config   sync.RWMutex
)

func transfer(first, second *sync.Mutex) {
	first.Lock()
	defer first.Unlock()
	time.Sleep(50 * time.Millisecond) // widen the window
	second.Lock()                     // Bug: the lock order depends on the caller.
	defer second.Unlock()
}

func report(v int) {
	results <- v // Bug: nobody reads results.
}

func enqueue(v int) {
	jobs <- v // Bug: nobody drains jobs; the buffer fills up.
}

func consume() {
	<-shutdown // Bug: shutdown is never closed.
}

func waitAll() {
	pending.Wait() // Bug: the task counted by pending never calls Done.
}

func readConfig(hold time.Duration) {
	config.RLock()
	defer config.RUnlock()
	time.Sleep(hold) // Bug: holds the read lock for an hour.
}

func writeConfig() {
	config.Lock()
	defer config.Unlock()
}

func main() {
	go transfer(&muA, &muB)
	go transfer(&muB, &muA)
	for i := 0; i < 3; i++ {
		go report(i)
	}
	for i := 0; i < 4; i++ {
		go enqueue(i)
	}
	for i := 0; i < 2; i++ {
		go consume()
	}
	pending.Add(1)
	for i := 0; i < 2; i++ {
		go waitAll()
	}
	go readConfig(time.Hour)
	time.Sleep(20 * time.Millisecond)
	go writeConfig()
	time.Sleep(20 * time.Millisecond)
	go readConfig(0)
	dumpkit.Dump()
}
