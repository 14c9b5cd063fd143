// Each job runs a helper process and waits for it. The helper hangs (here:
// sleeps for a minute, far longer than a job may take) and no context or timeout bounds the wait, so the job
// goroutines wait in cmd.Run for as long as the child lives.
package main

import (
	"os/exec"

	"example.com/shop/dumpkit"
)

// convert runs the helper. Bug: exec.Command without a context; use
// exec.CommandContext with a deadline.
func convert(job int) {
	cmd := exec.Command("sleep", "60")
	_ = cmd.Run()
	_ = job
}

func main() {
	for i := 0; i < 3; i++ {
		go convert(i)
	}
	dumpkit.Dump()
}
