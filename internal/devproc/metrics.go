package devproc

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Metrics reads base's /metrics (Prometheus text exposition) and returns
// each series' value by metric name, labels dropped: the values of one name
// with different labels are added up.
func Metrics(base string) (map[string]float64, error) {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if name, value, ok := cutMetric(line); ok {
			out[name] += value
		}
	}
	return out, sc.Err()
}

// cutMetric splits a text exposition line into the metric name (labels
// dropped) and its value.
func cutMetric(line string) (string, float64, bool) {
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return "", 0, false
	}
	name := line[:sp]
	if i := strings.IndexByte(name, '{'); i >= 0 {
		name = name[:i]
	}
	return strings.TrimSpace(name), v, true
}

// RSSBytes is the resident set size of pid read from /proc (0 when it
// cannot be read).
func RSSBytes(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	return StatusKB(f, "VmRSS:") * 1024
}

// StatusKB is the number of the line starting with key in a /proc file
// that counts in kB (status, meminfo).
func StatusKB(r io.Reader, key string) float64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				v, _ := strconv.ParseFloat(fields[0], 64)
				return v
			}
		}
	}
	return 0
}
