//go:build unix

package journal

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockWriter takes the journal's single-writer lock: an exclusive flock on
// the sidecar file path+".lock", which holds the holder's PID. The lock
// lives as long as the returned file is open (the OS drops it when the
// process dies, however it dies), so a stale file never blocks a start.
// The file itself is never removed: unlinking a lock file while another
// process waits on it would let two writers in.
func lockWriter(path string) (*os.File, error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder := lockHolder(f)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by %s; one journal has one writer: stop it, or give this one another --db",
				ErrLocked, name, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: write pid: %w", name, err)
		}
	} else {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return f, nil
}

// lockHolder describes the process named in a lock file: its PID and, where
// /proc tells, its command line.
func lockHolder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return "another process (its PID is not in the file yet)"
	}
	desc := fmt.Sprintf("process %d", pid)
	if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(cmd) > 0 {
		args := strings.Fields(strings.ReplaceAll(string(cmd), "\x00", " "))
		if len(args) > 4 {
			args = append(args[:4], "...")
		}
		desc += " (" + strings.Join(args, " ") + ")"
	}
	return desc
}

// linkCount is the number of names a file has (0 once it is deleted).
func linkCount(fi os.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Nlink), true // its width differs by platform
}

// freeSpace is how many bytes an unprivileged writer may still use on
// the filesystem holding dir.
func freeSpace(dir string) (int64, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
