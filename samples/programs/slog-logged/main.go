//go:build go1.21

// A service that logs its own goroutine dump through log/slog: the JSON
// handler escapes it inside one JSON record, the text handler inside one
// logfmt record. LOG_FORMAT picks json or text.
package main

import (
	"log/slog"
	"os"
	"runtime"
	"time"
)

func waitForOrders(ch chan int) { <-ch }

func main() {
	ch := make(chan int)
	for i := 0; i < 3; i++ {
		go waitForOrders(ch)
	}
	time.Sleep(200 * time.Millisecond)
	var h slog.Handler = slog.NewJSONHandler(os.Stderr, nil)
	if os.Getenv("LOG_FORMAT") == "text" {
		h = slog.NewTextHandler(os.Stderr, nil)
	}
	log := slog.New(h)
	log.Info("service started", "port", 8080)
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	log.Error("watchdog: request stuck, dumping goroutines", "stack", string(buf[:n]))
	log.Info("still running")
}
