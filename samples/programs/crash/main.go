// Crashes of every kind the runtime reports, chosen by CRASH: nil-map,
// concurrent-map-writes, nil-pointer, send-closed, out-of-range, all-asleep,
// nested-panic, repanic, multiline, deep-recursion, spin, stack-overflow,
// unlock-unlocked.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

type Session struct {
	User  *User
	attrs map[string]string
}

type User struct{ Name string }

func (s *Session) Set(k, v string) { s.attrs[k] = v }

func nilMap() {
	var s Session
	s.Set("user", "alice")
}

func concurrentMapWrites() {
	m := map[int]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				m[i%1000] = w
			}
		}(w)
	}
	wg.Wait()
}

func greet(s *Session) string { return "hello " + s.User.Name }

func nilPointer() { fmt.Println(greet(&Session{})) }

func sendClosed() {
	ch := make(chan int, 1)
	close(ch)
	ch <- 1
}

func pick(items []string, i int) string { return items[i] }

func outOfRange() { fmt.Println(pick([]string{"a", "b"}, 5)) }

func allAsleep() {
	results := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	go func() {
		mu.Lock() // never unlocked
		results <- 1
	}()
	<-results
}

func cleanup() {
	panic(errors.New("cleanup failed: connection reset"))
}

func nestedPanic() {
	defer cleanup()
	panic("first failure")
}

func repanic() {
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprintf("re-raised: %v", r))
		}
	}()
	panic("original failure")
}

func multiline() {
	panic("invalid configuration:\n  listen: missing port\n  tls: certificate expired")
}

func walk(depth int) int {
	if depth == 0 {
		var p *User
		return len(p.Name)
	}
	return walk(depth-1) + 1
}

func deepRecursion() { walk(150) }

func spinner(stop *bool) {
	for !*stop {
	}
}

func spin() {
	stop := false
	go spinner(&stop)
	time.Sleep(100 * time.Millisecond)
	panic("giving up while a goroutine spins")
}

// grow recurses without end; the stack limit is lowered so the runtime
// gives up quickly ("goroutine stack exceeds ... limit", fatal error: stack
// overflow).
func grow(n int) int { return grow(n+1) + 1 }

func stackOverflow() {
	debug.SetMaxStack(1 << 20)
	grow(0)
}

// unlockUnlocked releases a mutex nobody holds: a fatal error, not a panic.
func unlockUnlocked() {
	var mu sync.Mutex
	mu.Unlock()
}

func main() {
	cases := map[string]func(){
		"nil-map":               nilMap,
		"concurrent-map-writes": concurrentMapWrites,
		"nil-pointer":           nilPointer,
		"send-closed":           sendClosed,
		"out-of-range":          outOfRange,
		"all-asleep":            allAsleep,
		"nested-panic":          nestedPanic,
		"repanic":               repanic,
		"multiline":             multiline,
		"deep-recursion":        deepRecursion,
		"spin":                  spin,
		"stack-overflow":        stackOverflow,
		"unlock-unlocked":       unlockUnlocked,
	}
	f, ok := cases[os.Getenv("CRASH")]
	if !ok {
		fmt.Fprintln(os.Stderr, "set CRASH to one of the cases")
		os.Exit(3)
	}
	// A few bystanders so the dump has more than the crashing goroutine.
	idle := make(chan int)
	for i := 0; i < 2; i++ {
		go func() { <-idle }()
	}
	time.Sleep(50 * time.Millisecond)
	f()
}
