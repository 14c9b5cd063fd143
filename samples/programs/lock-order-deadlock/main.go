// Two transfers lock the same two accounts in opposite order (AB-BA): each
// holds one mutex and waits for the other forever.
package main

import (
	"sync"
	"time"

	"example.com/shop/dumpkit"
)

type Account struct {
	mu      sync.Mutex
	id      int
	balance int
}

func (a *Account) transfer(to *Account, amount int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	time.Sleep(50 * time.Millisecond) // widen the window
	to.mu.Lock()                      // Bug: lock order depends on argument order.
	defer to.mu.Unlock()
	a.balance -= amount
	to.balance += amount
}

func main() {
	alice := &Account{id: 1, balance: 100}
	bob := &Account{id: 2, balance: 100}
	go alice.transfer(bob, 10)
	go bob.transfer(alice, 20)
	dumpkit.Dump()
}
