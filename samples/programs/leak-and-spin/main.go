// A quote service that gets worse the longer it runs, snapshotted at three
// moments so that the snapshots can be compared:
//
//   - Each request asks a primary and a replica backend at once and keeps the
//     first answer; the slower fetch stays blocked forever sending its 8 KiB
//     body on the unbuffered reply channel (created by
//     main.(*Fetcher).fetchAll). One request every 300 ms: 200 more leaked
//     goroutines a minute.
//   - The event poller busy-polls its channel with select/default and nobody
//     ever sends on it: one goroutine spins on a CPU for the whole run
//     (running or runnable in every dump).
//   - The registry's resync takes the registry lock and waits for an answer
//     from the discovery service that never comes; the health checker's
//     Lookup waits on that lock for the whole run.
//   - Every response is memoised in a cache that never evicts (64 KiB per
//     request): the in-use heap grows by about 13 MB a minute.
//   - Steady state that does not grow: a session table of 8 MiB allocated
//     once, and a render buffer per request that is garbage right after.
//   - Four pool workers wait for audit jobs (one per request): idle, healthy.
//
// SNAPSHOT_AT lists when to write a snapshot, as durations after the process
// started (default "70s,130s,190s"); SNAPSHOT_DIR where (default "."). Snapshot
// k writes goroutine-k.txt (the goroutine profile at debug=2),
// goroutine-k-debug1.txt (debug=1), goroutine-k.pb.gz (debug=0), then, after
// runtime.GC(), heap-k.pb.gz, and appends "snapshot k <seconds>" to times.txt.
// Requests pause a second before each snapshot so that every goroutine sits
// where it waits. The process exits after its last snapshot. The heap is
// sampled at Go's default runtime.MemProfileRate, as in production.
package main

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// start is when the process started (as near as package initialisation gets).
var start = time.Now()

const (
	interval = 300 * time.Millisecond // between requests
	quiet    = time.Second            // no requests this long before a snapshot
)

// Fetcher asks every backend for the same quote and keeps the first answer.
type Fetcher struct {
	backends []string
}

func (f *Fetcher) fetchAll(key string) []byte {
	replies := make(chan []byte) // unbuffered
	for _, b := range f.backends {
		go f.fetch(b, key, replies)
	}
	// Bug: the first answer wins and nobody ever reads the others.
	return <-replies
}

func (f *Fetcher) fetch(backend, key string, out chan<- []byte) {
	body := make([]byte, 8<<10)
	n := copy(body, backend)
	copy(body[n:], key)
	out <- body // the slower fetch blocks here forever, holding body
}

// ResponseCache memoises every response by request key.
type ResponseCache struct {
	mu      sync.Mutex
	entries map[string][]byte
}

func (c *ResponseCache) Put(key string, body []byte) {
	v := make([]byte, 64<<10)
	copy(v, body)
	c.mu.Lock()
	c.entries[key] = v // Bug: nothing ever evicts an entry.
	c.mu.Unlock()
}

// SessionTable is allocated once at start and stays the same size.
type SessionTable struct {
	slots [][]byte
}

func newSessionTable(n, size int) *SessionTable {
	t := &SessionTable{slots: make([][]byte, n)}
	for i := range t.slots {
		t.slots[i] = make([]byte, size)
	}
	return t
}

func (t *SessionTable) touch(n int) {
	t.slots[n%len(t.slots)][n%len(t.slots[0])]++
}

// render lays the response out in a 256 KiB page and returns its checksum;
// the page is garbage as soon as render returns.
func render(body []byte) uint32 {
	var page bytes.Buffer
	for page.Len() < 256<<10 {
		page.Write(body)
	}
	return crc32.ChecksumIEEE(page.Bytes())
}

type Event struct {
	Kind string
}

// Poller handles events as they arrive.
type Poller struct {
	events chan Event
	seen   int
}

func (p *Poller) run() {
	for {
		select {
		case ev := <-p.events:
			p.seen += len(ev.Kind)
		default:
			// Bug: nothing to do, so it polls again at once and spins.
		}
	}
}

// Registry holds the peers the discovery service reported.
type Registry struct {
	mu    sync.Mutex
	peers map[string]string
}

// resync holds the lock while it waits for the discovery service. Bug: the
// answer never comes and there is no timeout.
func (r *Registry) resync(answers <-chan map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.peers = <-answers
}

func (r *Registry) Lookup(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peers[name]
}

func healthCheck(r *Registry) {
	for {
		if r.Lookup("pricing") == "" {
			fmt.Fprintln(os.Stderr, "health: pricing has no peer")
		}
		time.Sleep(10 * time.Second)
	}
}

type Job struct {
	ID  int
	Key string
}

// Pool runs audit jobs on a fixed set of workers.
type Pool struct {
	jobs    chan Job
	audited atomic.Int64
}

func startPool(n int) *Pool {
	p := &Pool{jobs: make(chan Job)}
	for i := 0; i < n; i++ {
		go p.worker()
	}
	return p
}

func (p *Pool) worker() {
	for j := range p.jobs {
		p.audited.Add(int64(len(j.Key)))
	}
}

type Server struct {
	fetcher  *Fetcher
	cache    *ResponseCache
	sessions *SessionTable
	pool     *Pool
	checksum uint32
}

func (s *Server) handle(n int) {
	key := fmt.Sprintf("quote/%d", n)
	body := s.fetcher.fetchAll(key)
	s.cache.Put(key, body)
	s.checksum ^= render(body)
	s.sessions.touch(n)
	s.pool.jobs <- Job{ID: n, Key: key}
}

// snapshot writes snapshot k into dir.
func snapshot(dir string, k int) {
	elapsed := time.Since(start).Seconds()
	name := func(pattern string) string { return filepath.Join(dir, fmt.Sprintf(pattern, k)) }
	write(name("goroutine-%d.txt"), "goroutine", 2)
	write(name("goroutine-%d-debug1.txt"), "goroutine", 1)
	write(name("goroutine-%d.pb.gz"), "goroutine", 0)
	runtime.GC()
	write(name("heap-%d.pb.gz"), "heap", 0)
	f, err := os.OpenFile(filepath.Join(dir, "times.txt"), os.O_APPEND|os.O_WRONLY, 0)
	check(err)
	_, err = fmt.Fprintf(f, "snapshot %d %.3f\n", k, elapsed)
	check(err)
	check(f.Close())
	fmt.Printf("snapshot %d at %.3f s after start, %d goroutines\n", k, elapsed, runtime.NumGoroutine())
}

func write(path, profile string, debug int) {
	f, err := os.Create(path)
	check(err)
	check(pprof.Lookup(profile).WriteTo(f, debug))
	check(f.Close())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "leak-and-spin:", err)
		os.Exit(1)
	}
}

// snapshotTimes reads SNAPSHOT_AT.
func snapshotTimes() []time.Duration {
	spec := os.Getenv("SNAPSHOT_AT")
	if spec == "" {
		spec = "70s,130s,190s"
	}
	var at []time.Duration
	for _, s := range strings.Split(spec, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		check(err)
		at = append(at, d)
	}
	return at
}

func sleepUntil(d time.Duration) {
	time.Sleep(time.Until(start.Add(d)))
}

func main() {
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2) // the spinning poller must leave a P to the rest
	}
	dir := os.Getenv("SNAPSHOT_DIR")
	if dir == "" {
		dir = "."
	}
	at := snapshotTimes()
	check(os.MkdirAll(dir, 0o755))
	check(os.WriteFile(filepath.Join(dir, "times.txt"),
		[]byte("# seconds after the process started at which each snapshot was taken\n"), 0o644))

	s := &Server{
		fetcher:  &Fetcher{backends: []string{"pricing-primary", "pricing-replica"}},
		cache:    &ResponseCache{entries: make(map[string][]byte)},
		sessions: newSessionTable(128, 64<<10),
		pool:     startPool(4),
	}
	poller := &Poller{events: make(chan Event)}
	go poller.run()

	reg := &Registry{}
	go reg.resync(make(chan map[string]string))
	for reg.mu.TryLock() { // until resync holds the lock
		reg.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	go healthCheck(reg)

	// A GC cycle stamps when each blocked goroutine started waiting (with the
	// start time of the previous cycle): two cycles, so the goroutines blocked
	// so far have their time, which the traceback prints as ", N minutes".
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	runtime.GC()

	n := 0
	for k, t := range at {
		for {
			next := time.Duration(n+1) * interval
			if next > t-quiet {
				break
			}
			sleepUntil(next)
			n++
			s.handle(n)
		}
		sleepUntil(t)
		snapshot(dir, k+1)
	}
	runtime.KeepAlive(s)
}
