// Package cputime reads the CPU time of the running process, for benchmarks
// that report CPU per operation.
package cputime

import "syscall"

// Process is the CPU time the process has used (user and system), in
// nanoseconds: unlike ns/op it leaves out time spent waiting for the
// database, and counts the garbage collector and every goroutine.
func Process() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
