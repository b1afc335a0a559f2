package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// watchProcesses starts watching the machine's CPU; the returned function
// stops it and says how busy the machine was meanwhile, and which processes
// (by name) used the CPU: what competed with the measured work. Processes
// are polled every second, so those that ended meanwhile count too, up to
// their last poll. The processes of the PostgreSQL server whose postmaster
// is pid postmaster (0: unknown) are told apart from other servers'.
func watchProcesses(postmaster int) func() string {
	busy0, total0 := cpuTicks()
	first, last := procTicks(), map[int]procTime{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			for pid, p := range procTicks() {
				last[pid] = p
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() string {
		close(done)
		wg.Wait()
		busy1, total1 := cpuTicks()
		byName := map[string]float64{}
		for pid, p := range last {
			d := p.ticks
			if q, ok := first[pid]; ok && q.name == p.name {
				d -= q.ticks
			}
			name := p.name
			if name == "postgres" && postmaster > 0 {
				if pid == postmaster || p.ppid == postmaster {
					name = "postgres (the bench database's server)"
				} else {
					name = "postgres (other servers)"
				}
			}
			byName[name] += float64(d) / clockTicks
		}
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return byName[names[i]] > byName[names[j]] })
		var parts []string
		for _, n := range names {
			if len(parts) == 6 || byName[n] < 0.5 {
				break
			}
			parts = append(parts, fmt.Sprintf("%s %.1f", n, byName[n]))
		}
		out := ""
		if total1 > total0 {
			out = fmt.Sprintf("machine CPU %.0f%% busy (%d cores)", 100*float64(busy1-busy0)/float64(total1-total0), runtime.NumCPU())
		}
		if len(parts) > 0 {
			out += "; CPU seconds by process name: " + strings.Join(parts, ", ")
		}
		return out
	}
}

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTicks = 100

// cpuTicks reads the busy and total ticks of all CPUs from /proc/stat.
func cpuTicks() (busy, total uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

type procTime struct {
	name  string
	ppid  int
	ticks uint64
}

// procTicks reads every process's user and system ticks.
func procTicks() map[int]procTime {
	out := map[int]procTime{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range dirs {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseUint(f[11], 10, 64)
		stime, _ := strconv.ParseUint(f[12], 10, 64)
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ppid, _ := strconv.Atoi(f[1])
		out[pid] = procTime{name: s[open+1 : close], ppid: ppid, ticks: utime + stime}
	}
	return out
}

// benchPostmaster is the pid of the bench database's PostgreSQL server when
// it runs on this machine (0: unknown); its processes' CPU is measured per
// case.
var benchPostmaster int

// postgresTicks reads the CPU ticks of the bench database's server
// processes (the postmaster and its children), by pid.
func postgresTicks() map[int]procTime {
	if benchPostmaster == 0 {
		return nil
	}
	out := map[int]procTime{}
	for pid, p := range procTicks() {
		if p.name == "postgres" && (pid == benchPostmaster || p.ppid == benchPostmaster) {
			out[pid] = p
		}
	}
	return out
}

// postgresCPUSince is the CPU seconds the server's processes used since
// before was read: processes started since count whole; those that ended
// meanwhile are lost (connections are kept open during a case, so they are
// few).
func postgresCPUSince(before map[int]procTime) float64 {
	if before == nil {
		return 0
	}
	var ticks uint64
	for pid, p := range postgresTicks() {
		d := p.ticks
		if q, ok := before[pid]; ok && q.ticks <= d {
			d -= q.ticks
		}
		ticks += d
	}
	return float64(ticks) / clockTicks
}

// processCPU reads one process's CPU seconds (user and system).
func processCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	return float64(utime+stime) / clockTicks
}
