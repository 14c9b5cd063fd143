// heapgen writes a very large heap profile (heap.pb.gz) as Go itself writes
// it, for dumpscope's benchmarks. With runtime.MemProfileRate = 1 every
// allocation is recorded, and the program allocates from millions of distinct
// call stacks: a request "router" descends through eight handler functions,
// choosing the next one from the digits (base 8) of a counter, to a depth
// that varies with the counter, then allocates in one of five leaf
// functions. Every fourth allocation stays live, so the profile has both
// in-use and freed space.
//
//	heapgen -out heap.pb.gz -stacks 3000000
//
// OUT and STACKS in the environment are the defaults of -out and -stacks.
// The gzipped size grows about linearly with -stacks.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

func init() {
	// Record every allocation (the default samples one per 512 KiB).
	runtime.MemProfileRate = 1
}

const fanout = 8

// route calls the next handler, chosen by the lowest base-8 digit of path.
var route [fanout]func(path uint64, depth int, leaf uint64)

func init() {
	route = [fanout]func(uint64, int, uint64){
		decodeRequest, authorize, lookupTenant, loadSession,
		applyRules, renderView, encodeReply, auditTrail,
	}
}

// next is inlined into every handler, so each handler calls the next one
// from its own call site and every path gives a distinct stack.
func next(path uint64, depth int, leaf uint64) {
	if depth == 0 {
		allocLeaf(leaf)
		return
	}
	route[path%fanout](path/fanout, depth-1, leaf)
}

//go:noinline
func decodeRequest(path uint64, depth int, leaf uint64) { next(path, depth, leaf) }

//go:noinline
func authorize(path uint64, depth int, leaf uint64) { next(path, depth, leaf) }

//go:noinline
func lookupTenant(path uint64, depth int, leaf uint64) { next(path, depth, leaf) }

//go:noinline
func loadSession(path uint64, depth int, leaf uint64) { next(path, depth, leaf) }

//go:noinline
func applyRules(path uint64, depth int, leaf uint64) { next(path, depth, leaf) }

//go:noinline
func renderView(path uint64, depth int, leaf uint64) { next(path, depth, leaf) }

//go:noinline
func encodeReply(path uint64, depth int, leaf uint64) { next(path, depth, leaf) }

//go:noinline
func auditTrail(path uint64, depth int, leaf uint64) { next(path, depth, leaf) }

type record struct {
	id    uint64
	name  string
	attrs map[string]string
	next  *record
}

// live keeps every fourth allocation reachable until the profile is written.
var live []any

func keep(n uint64, v any) {
	if n%4 == 0 {
		live = append(live, v)
	}
}

//go:noinline
func allocLeaf(n uint64) {
	switch n % 5 {
	case 0:
		newBuffer(n)
	case 1:
		newRecord(n)
	case 2:
		newIndex(n)
	case 3:
		formatKey(n)
	default:
		newBatch(n)
	}
}

//go:noinline
func newBuffer(n uint64) { keep(n, make([]byte, 16+n%240)) }

//go:noinline
func newRecord(n uint64) { keep(n, &record{id: n}) }

//go:noinline
func newIndex(n uint64) { keep(n, make([]uint32, 4+n%60)) }

//go:noinline
func formatKey(n uint64) { keep(n, "key-"+strconv.FormatUint(n, 16)) }

//go:noinline
func newBatch(n uint64) { keep(n, make([]*record, 1+n%12)) }

func main() {
	out := flag.String("out", envOr("OUT", "heap.pb.gz"), "where to write the heap profile (env OUT)")
	stacks := flag.Uint64("stacks", envUint("STACKS", 3000000), "number of distinct allocation stacks (env STACKS); the size knob")
	flag.Parse()

	start := time.Now()
	for n := uint64(0); n < *stacks; n++ {
		// Depth 7 to 10 (8^7 paths per depth already exceed a million;
		// differing depths make the stacks differ again).
		depth := 7 + int(n%4)
		route[n%fanout](n/fanout, depth, n)
	}
	allocated := time.Since(start)

	runtime.GC() // the heap profile is as of the last completed GC
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	st, _ := os.Stat(*out)
	fmt.Printf("%d stacks, %d live objects: allocated in %v, profile written in %v, %d bytes\n",
		*stacks, len(live), allocated.Round(time.Millisecond), (time.Since(start) - allocated).Round(time.Millisecond), st.Size())
	runtime.KeepAlive(live)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envUint(k string, def uint64) uint64 {
	if v, err := strconv.ParseUint(os.Getenv(k), 10, 64); err == nil {
		return v
	}
	return def
}
