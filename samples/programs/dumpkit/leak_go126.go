//go:build go1.26

package dumpkit

import (
	"os"
	"path/filepath"
)

// The goroutineleak profile (Go >= 1.26): the GC proves which goroutines can
// never wake; at debug=2 they are marked "(leaked)".
func writeLeakProfiles() {
	writeProfile("goroutineleak", 2, os.Getenv("LEAK2_OUT"))
	writeProfile("goroutineleak", 1, os.Getenv("LEAK1_OUT"))
}

// writeLeakPprof writes the goroutineleak profile at debug=0 and debug=1
// into dir (the pprof form).
func writeLeakPprof(dir string) {
	writeProfile("goroutineleak", 0, filepath.Join(dir, "goroutineleak.pb.gz"))
	writeProfile("goroutineleak", 1, filepath.Join(dir, "goroutineleak-debug1.txt"))
}
