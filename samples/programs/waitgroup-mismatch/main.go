// A batch job adds one more to the WaitGroup than it starts workers for:
// Wait never returns ("sync.WaitGroup.Wait").
package main

import (
	"sync"

	"example.com/shop/dumpkit"
)

func processItem(id int, wg *sync.WaitGroup) {
	defer wg.Done()
	_ = id * 2
}

func runBatch(items []int) {
	var wg sync.WaitGroup
	wg.Add(len(items) + 1) // Bug: one Add too many.
	for _, it := range items {
		go processItem(it, &wg)
	}
	wg.Wait()
}

func main() {
	for b := 0; b < 3; b++ {
		go runBatch([]int{1, 2, 3, 4})
	}
	dumpkit.Dump()
}
