//go:build !go1.26

package dumpkit

func writeLeakProfiles() {}

func writeLeakPprof(dir string) {}
