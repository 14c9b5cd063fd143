// An order service whose payment retries pile up while the payment backend
// is down, snapshotted three times a second apart:
//
//   - Each order charges the payment backend; when the charge fails, a
//     goroutine (created by main.(*Orders).place) retries it with an
//     exponential backoff and no limit on attempts or on retriers. The
//     backend stays down for the whole run, so every retrier sleeps in
//     main.(*Payments).retry between attempts and none ever returns.
//   - One order every 40 ms: 25 more retriers a second. Orders pause 200 ms
//     before each snapshot so that every retrier sits in its sleep.
//
// SNAPSHOT_DIR says where to write (default "."): goroutine-1.txt,
// goroutine-2.txt and goroutine-3.txt, the goroutine profile at debug=2, at
// 1, 2 and 3 s after the start. The process exits after the last.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync/atomic"
	"time"
)

var errUnavailable = errors.New("payment backend unavailable")

// Payments is the client of the payment backend.
type Payments struct {
	down     atomic.Bool
	attempts atomic.Int64
}

// charge asks the backend to charge an order; it fails while the backend
// is down.
func (p *Payments) charge(order int) error {
	p.attempts.Add(1)
	if p.down.Load() {
		return fmt.Errorf("charge order %d: %w", order, errUnavailable)
	}
	return nil
}

// retry charges the order again until the backend accepts it, waiting
// twice as long after each failure, up to 30 s.
func (p *Payments) retry(order int) {
	backoff := 2 * time.Second
	for {
		time.Sleep(backoff)
		if p.charge(order) == nil {
			return
		}
		if backoff < 30*time.Second {
			backoff *= 2
		}
	}
}

// Orders takes orders and charges them.
type Orders struct {
	payments *Payments
	next     int
}

// place takes one order; a failed charge is retried in the background so
// that the caller is not kept waiting.
func (o *Orders) place() {
	o.next++
	order := o.next
	if err := o.payments.charge(order); err != nil {
		go o.payments.retry(order)
	}
}

func snapshot(dir string, k int) {
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("goroutine-%d.txt", k)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	dir := os.Getenv("SNAPSHOT_DIR")
	if dir == "" {
		dir = "."
	}
	payments := &Payments{}
	payments.down.Store(true)
	orders := &Orders{payments: payments}
	start := time.Now()
	for k := 1; k <= 3; k++ {
		at := start.Add(time.Duration(k) * time.Second)
		for time.Until(at) > 200*time.Millisecond {
			orders.place()
			time.Sleep(40 * time.Millisecond)
		}
		time.Sleep(time.Until(at))
		snapshot(dir, k)
	}
}
