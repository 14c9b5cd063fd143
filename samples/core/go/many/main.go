// A process with 100,000 goroutines blocked for good (a third sending on a
// channel nobody reads, a third on a mutex never unlocked, a third receiving
// at the bottom of a recursion), each with a stack of 16 KB or more; it then
// sends itself SIGQUIT: with GOTRACEBACK=crash the runtime prints every
// goroutine and the kernel writes a core of about a gigabyte (measure.sh).
package main

import (
	"os"
	"sync"
	"syscall"
	"time"
)

type job struct{ id int }

// Each goroutine keeps a 12 KB buffer on its stack while it blocks, as a
// request handler would: stacks of 16 KB or more.
func sender(ch chan job, id int) int {
	var buf [12000]byte
	buf[id%len(buf)] = byte(id)
	ch <- job{id}
	return int(buf[(id*7)%len(buf)])
}

func locker(mu *sync.Mutex, wg *sync.WaitGroup, id int) int {
	defer wg.Done()
	var buf [12000]byte
	buf[id%len(buf)] = byte(id)
	mu.Lock()
	defer mu.Unlock()
	return int(buf[(id*7)%len(buf)])
}

func recurse(n int, ch chan int) int {
	var buf [600]byte
	buf[n] = byte(n)
	if n == 0 {
		return <-ch + int(buf[0])
	}
	return recurse(n-1, ch) + int(buf[n])
}

func main() {
	ch := make(chan job)
	var mu sync.Mutex
	var wg sync.WaitGroup
	mu.Lock()
	idle := make(chan int)
	for i := 0; i < 100000; i++ {
		switch i % 3 {
		case 0:
			go sender(ch, i)
		case 1:
			wg.Add(1)
			go locker(&mu, &wg, i)
		default:
			go recurse(i%20, idle)
		}
	}
	time.Sleep(3 * time.Second)
	_ = syscall.Kill(os.Getpid(), syscall.SIGQUIT)
	time.Sleep(time.Minute)
}
