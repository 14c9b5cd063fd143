package dumpkit

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"
)

// writePprofDir writes the profiles a service exposes on /debug/pprof into
// dir, the way an operator would collect them from the running process:
//
//	goroutine.pb.gz             goroutine profile, debug=0 (gzipped profile.proto)
//	goroutine-debug1.txt        goroutine profile, debug=1 (stacks with counts, labels)
//	goroutine-debug2.txt        goroutine profile, debug=2 (every goroutine, as a panic prints it)
//	goroutine-debug2-labels.txt debug=2 again with GODEBUG=tracebacklabels=1 (labels in headers)
//	goroutines-labelled.pb.gz   one sample per goroutine, built from goroutine-debug2-labels.txt
//	                            (see labelled.go; Go does not write this variant itself)
//	goroutineleak.pb.gz         goroutineleak profile, debug=0 (Go >= 1.26)
//	goroutineleak-debug1.txt    goroutineleak profile, debug=1 (Go >= 1.26)
//	heap.pb.gz                  heap profile, debug=0, after a GC
//	heap-debug1.txt             heap profile, debug=1 (legacy text with # runtime.MemStats)
//	allocs.pb.gz                allocs profile, debug=0 (the heap data, alloc_space by default)
//
// The goroutine profiles come first so that the leak detection GC has not yet
// marked any goroutine "(leaked)" in them.
func writePprofDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := func(name string) string { return filepath.Join(dir, name) }

	writeProfile("goroutine", 0, path("goroutine.pb.gz"))
	writeProfile("goroutine", 1, path("goroutine-debug1.txt"))
	writeProfile("goroutine", 2, path("goroutine-debug2.txt"))

	// The same dump with each goroutine's pprof labels in its header (the
	// default from Go 1.27 on; this module's go line keeps it off), turned
	// into a profile with one sample per goroutine.
	old, had := os.LookupEnv("GODEBUG")
	godebug := "tracebacklabels=1"
	if old != "" {
		godebug = old + "," + godebug
	}
	os.Setenv("GODEBUG", godebug)
	var dump bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&dump, 2)
	if had {
		os.Setenv("GODEBUG", old)
	} else {
		os.Unsetenv("GODEBUG")
	}
	if err := os.WriteFile(path("goroutine-debug2-labels.txt"), dump.Bytes(), 0o644); err != nil {
		return err
	}
	if err := writeGzip(path("goroutines-labelled.pb.gz"), labelledProfile(dump.Bytes(), time.Now())); err != nil {
		return err
	}

	writeLeakPprof(dir)

	// The heap profile shows the state as of the last completed GC.
	runtime.GC()
	writeProfile("heap", 0, path("heap.pb.gz"))
	writeProfile("heap", 1, path("heap-debug1.txt"))
	writeProfile("allocs", 0, path("allocs.pb.gz"))
	return nil
}

// writeGzip writes data gzip-compressed, as Go's own profiles are.
func writeGzip(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
