//go:build go1.26

package dumpkit

import "os"

// The goroutineleak profile (Go >= 1.26): the GC proves which goroutines can
// never wake; at debug=2 they are marked "(leaked)".
func writeLeakProfiles() {
	writeProfile("goroutineleak", 2, os.Getenv("LEAK2_OUT"))
	writeProfile("goroutineleak", 1, os.Getenv("LEAK1_OUT"))
}
