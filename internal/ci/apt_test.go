package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeAptGet writes an apt-get that answers "locked" for its first `locked`
// runs (counted in a file), then runs `then` (a shell command), and logs its
// arguments.
func fakeAptGet(t *testing.T, dir string, locked int, then string) string {
	t.Helper()
	path := filepath.Join(dir, "apt-get")
	script := `#!/bin/sh
n=$(cat "` + dir + `/count" 2>/dev/null || echo 0)
echo $((n + 1)) >"` + dir + `/count"
echo "$@" >>"` + dir + `/args"
if [ "$n" -lt ` + strconv.Itoa(locked) + ` ]; then
	echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
	echo "E: Unable to lock directory /var/lib/apt/lists/" >&2
	exit 100
fi
` + then + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func runApt(t *testing.T, aptGet, wait string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", "..", ".ci", "apt.sh"), args...)
	cmd.Env = append(os.Environ(), "APT_GET="+aptGet, "APT_LOCK_POLL=0.05", "APT_LOCK_WAIT="+wait)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func count(t *testing.T, dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "count"))
	return strings.TrimSpace(string(b))
}

// A lock held by another apt process is waited for; the arguments reach
// apt-get with apt's own wait for dpkg's lock.
func TestAptWaitsForTheLock(t *testing.T) {
	dir := t.TempDir()
	out, err := runApt(t, fakeAptGet(t, dir, 3, "echo installed; exit 0"), "60", "-qq", "install", "-y", "make")
	if err != nil || !strings.Contains(out, "installed") || count(t, dir) != "4" {
		t.Fatalf("err %v after %s runs:\n%s", err, count(t, dir), out)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if !strings.Contains(string(args), "-o DPkg::Lock::Timeout=") || !strings.Contains(string(args), "-qq install -y make") {
		t.Errorf("apt-get arguments:\n%s", args)
	}
}

// The wait is bounded: a lock never released fails the run.
func TestAptWaitIsBounded(t *testing.T) {
	dir := t.TempDir()
	out, err := runApt(t, fakeAptGet(t, dir, 1_000_000, "exit 0"), "1", "update")
	if err == nil || !strings.Contains(out, "still locked") {
		t.Fatalf("err %v:\n%s", err, out)
	}
}

// Any other failure is not retried.
func TestAptOtherFailuresFailAtOnce(t *testing.T) {
	dir := t.TempDir()
	out, err := runApt(t, fakeAptGet(t, dir, 0, `echo "E: Unable to locate package nosuch" >&2; exit 100`), "60", "install", "nosuch")
	if err == nil || count(t, dir) != "1" {
		t.Fatalf("err %v after %s runs:\n%s", err, count(t, dir), out)
	}
}
