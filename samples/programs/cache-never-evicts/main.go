// A quote service memoises every rendered quote in a map keyed by request id.
// Request ids never repeat, so the cache never hits and, with no eviction and
// no TTL, only grows: about 150 MB after a few seconds of traffic. Beside it,
// an event consumer calls time.After in its select on every event: a new
// timer (and channel) per iteration, a minute long, nearly all abandoned
// unfired (since Go 1.23 the runtime collects them once unreferenced, so they
// show as allocation churn, not as memory in use). A few healthy background
// goroutines (metrics flusher, config watcher, signal handler) carry pprof
// labels.
//
// The heap is sampled at the default runtime.MemProfileRate (one sample per
// 512 KiB allocated on average), as in production.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"

	"example.com/shop/dumpkit"
)

type Request struct {
	ID      string
	Symbol  string
	Account int
}

// QuoteCache memoises responses by request id. Bug: nothing ever removes an
// entry, and the key (a unique request id) never repeats.
type QuoteCache struct {
	mu      sync.Mutex
	entries map[string][]byte
}

func (c *QuoteCache) Get(id string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.entries[id]
	return b, ok
}

func (c *QuoteCache) Put(id string, b []byte) {
	c.mu.Lock()
	c.entries[id] = b
	c.mu.Unlock()
}

type QuoteService struct {
	cache  *QuoteCache
	served int
}

func (s *QuoteService) Handle(req Request) []byte {
	if b, ok := s.cache.Get(req.ID); ok {
		return b
	}
	b := renderQuote(req)
	s.cache.Put(req.ID, b)
	s.served++
	return b
}

// renderQuote builds the JSON reply: 2-6 KiB of price levels.
func renderQuote(req Request) []byte {
	levels := 40 + req.Account%80
	b := make([]byte, 0, 64+levels*48)
	b = fmt.Appendf(b, `{"id":%q,"symbol":%q,"levels":[`, req.ID, req.Symbol)
	for i := 0; i < levels; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"price":%d.%02d,"qty":%6d}`, 100+i, (req.Account+i)%100, i*37%10000)
	}
	return append(b, "]}"...)
}

type Event struct {
	Account int
	Delta   int64
	Synced  chan struct{} // closed once every earlier event is applied
}

type Ledger struct {
	balances map[int]int64
	idle     int
}

// consume applies account events. Bug: time.After in the loop makes a new
// one-minute timer for every event; the previous one is simply abandoned.
func (l *Ledger) consume(events <-chan Event) {
	for {
		select {
		case ev := <-events:
			if ev.Synced != nil {
				close(ev.Synced)
				continue
			}
			l.balances[ev.Account] += ev.Delta
		case <-time.After(time.Minute):
			l.idle++
		}
	}
}

func flushMetrics(ctx context.Context, s *QuoteService) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = s.served
		}
	}
}

func watchConfig(ctx context.Context, reload <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-reload:
		}
	}
}

func waitForSignals(ctx context.Context, cancel context.CancelFunc) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
		cancel()
	case <-ctx.Done():
	}
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc := &QuoteService{cache: &QuoteCache{entries: make(map[string][]byte)}}

	pprof.Do(ctx, pprof.Labels("component", "metrics"), func(ctx context.Context) {
		go flushMetrics(ctx, svc)
	})
	reload := make(chan struct{})
	pprof.Do(ctx, pprof.Labels("component", "config"), func(ctx context.Context) {
		go watchConfig(ctx, reload)
	})
	go waitForSignals(ctx, cancel)

	// 300,000 account events through the ledger consumer, which then waits
	// for more in its select (with one more fresh timer).
	ledger := &Ledger{balances: make(map[int]int64)}
	events := make(chan Event, 256)
	pprof.Do(ctx, pprof.Labels("component", "ledger"), func(ctx context.Context) {
		go ledger.consume(events)
	})
	for i := 0; i < 300000; i++ {
		events <- Event{Account: i % 5000, Delta: int64(i%200 - 100)}
	}
	synced := make(chan struct{})
	events <- Event{Synced: synced}
	<-synced

	// 40,000 quote requests, each with a fresh request id.
	symbols := []string{"ACME", "GLOBX", "INITECH", "UMBRL", "WAYNE"}
	pprof.Do(ctx, pprof.Labels("handler", "quote"), func(context.Context) {
		for i := 0; i < 40000; i++ {
			req := Request{ID: "req-" + strconv.Itoa(1000000+i), Symbol: symbols[i%len(symbols)], Account: i * 7919 % 100000}
			svc.Handle(req)
		}
	})
	dumpkit.Dump()
}
