package gotest

import "testing"

func TestHang(t *testing.T) {
	p := NewPool(1)
	p.Get()
	p.Get() // nobody returns the first one
}

func TestPanic(t *testing.T) {
	p := NewPool(2)
	if p.Nth(3) != 3 {
		t.Fatal("wrong connection")
	}
}
