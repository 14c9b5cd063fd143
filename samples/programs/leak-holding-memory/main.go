// An upload handler starts a goroutine per request to render a 64 KiB
// thumbnail, then checks the request's token. When the token is rejected the
// handler returns early and nobody reads the render result: the render
// goroutine stays blocked forever sending on its unbuffered channel, holding
// its buffer. 2000 rejected uploads leave 2000 goroutines that also hold
// 125 MiB; 100 accepted ones complete. A few healthy goroutines (an idle
// worker pool, a ticker loop) stay beside them.
//
// The heap is sampled at the default runtime.MemProfileRate (one sample per
// 512 KiB allocated on average), as in production.
package main

import (
	"bytes"
	"context"
	"errors"
	"runtime/pprof"
	"sync"
	"time"

	"example.com/shop/dumpkit"
)

type Upload struct {
	ID     int
	Tenant string
	Token  string
}

type Server struct {
	mu     sync.Mutex
	stored map[int]int
}

var errTokenExpired = errors.New("token expired")

// render draws the thumbnail into a 64 KiB buffer and hands it back.
func (s *Server) render(u Upload, out chan<- []byte) {
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	row := bytes.Repeat([]byte{byte(u.ID)}, 256)
	for buf.Len() < 64<<10 {
		buf.Write(row)
	}
	out <- buf.Bytes() // blocks forever once the handler has returned
}

func (s *Server) authorize(u Upload) error {
	if u.Token == "expired" {
		return errTokenExpired
	}
	return nil
}

func (s *Server) HandleUpload(u Upload) error {
	result := make(chan []byte) // unbuffered
	go s.render(u, result)
	if err := s.authorize(u); err != nil {
		return err // Bug: returns without receiving; render is left blocked.
	}
	thumb := <-result
	s.mu.Lock()
	s.stored[u.ID] = len(thumb)
	s.mu.Unlock()
	return nil
}

type Job struct{ ID int }

func worker(ctx context.Context, jobs <-chan Job) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-jobs:
			_ = j
		}
	}
}

func compactStore(ctx context.Context, s *Server) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.mu.Lock()
			s.mu.Unlock()
		}
	}
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &Server{stored: make(map[int]int)}
	jobs := make(chan Job)
	for i := 0; i < 4; i++ {
		go worker(ctx, jobs)
	}
	pprof.Do(ctx, pprof.Labels("component", "compactor"), func(ctx context.Context) {
		go compactStore(ctx, s)
	})
	tenants := []string{"acme", "globex", "initech"}
	for i := 0; i < 2100; i++ {
		u := Upload{ID: i, Tenant: tenants[i%len(tenants)], Token: "valid"}
		if i%21 != 20 { // 2000 of 2100 arrive with an expired token
			u.Token = "expired"
		}
		// The render goroutine inherits the handler's labels.
		labels := pprof.Labels("handler", "upload", "tenant", u.Tenant)
		pprof.Do(ctx, labels, func(context.Context) {
			_ = s.HandleUpload(u)
		})
	}
	dumpkit.Dump()
}
