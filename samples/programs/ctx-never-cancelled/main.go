// Per-request watchers select on ctx.Done() of a context whose cancel
// function is never called, and a ticker loop has no way out: they pile up.
package main

import (
	"context"
	"time"

	"example.com/shop/dumpkit"
)

func watchInventory(ctx context.Context, sku string, updates <-chan int) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-updates:
		}
	}
}

func refreshLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func handleRequest(parent context.Context, sku string) {
	ctx, cancel := context.WithCancel(parent)
	_ = cancel // Bug: cancel is never called, so the watcher never returns.
	go watchInventory(ctx, sku, make(chan int))
}

func main() {
	go refreshLoop(context.Background())
	for i := 0; i < 12; i++ {
		handleRequest(context.Background(), "sku")
	}
	dumpkit.Dump()
}
