// Command gobench reproduces, one case per run (CASE=name), the shapes of
// blocking bugs reported in cockroach, etcd, grpc, kubernetes, moby, istio,
// hugo and syncthing (the blocking bugs collected by GoBench/GoKer), plus
// healthy controls. Every case is written here from the bug report's
// description; none reuses the projects' code. Each case starts its
// goroutines, lets them settle, and dumpkit writes the dump (DUMP_FORM), so
// the plain goroutine profile and Go's goroutineleak profile come from the
// same process. CASE=list prints the case names.
package main

import (
	"fmt"
	"os"
	"sort"
	"time"

	"example.com/shop/dumpkit"
)

var cases = map[string]func(){}

func register(name string, run func()) { cases[name] = run }

// pause lets goroutines reach the point a case orders them by.
func pause() { time.Sleep(30 * time.Millisecond) }

// background starts what a service keeps running beside the bug: a metrics
// loop on a ticker and a worker pool fed by a live producer.
func background() {
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		n := 0
		for range t.C {
			n++
		}
	}()
	jobs := make(chan int)
	for i := 0; i < 2; i++ {
		go func() {
			for j := range jobs {
				_ = j
			}
		}()
	}
	go func() {
		for i := 0; ; i++ {
			time.Sleep(50 * time.Millisecond)
			jobs <- i
		}
	}()
}

func main() {
	name := os.Getenv("CASE")
	if name == "list" {
		names := make([]string, 0, len(cases))
		for n := range cases {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Println(n)
		}
		return
	}
	run, ok := cases[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown CASE %q (CASE=list names them)\n", name)
		os.Exit(3)
	}
	run()
	dumpkit.Dump()
}
