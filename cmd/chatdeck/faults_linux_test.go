//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fsImmutable is FS_IMMUTABLE_FL of linux/fs.h: no process, root
// included, may write, append to, rename or delete the file (or, on a
// directory, add or remove entries) until the flag is cleared. Writes
// through descriptors already open fail too (EPERM).
const fsImmutable = 0x10

// setImmutable sets or clears the immutable flag of path (chattr +i/-i).
func setImmutable(path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return fmt.Errorf("get flags of %s: %w", path, err)
	}
	if on {
		flags |= fsImmutable
	} else {
		flags &^= fsImmutable
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
		return fmt.Errorf("set flags of %s: %w", path, err)
	}
	return nil
}

// journalFiles are the journal's files (and its directory) as they are
// while serve runs: the database, its write-ahead log and shared memory.
func journalFiles(t *testing.T, db string) []string {
	t.Helper()
	files := []string{filepath.Dir(db)}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Stat(db + suffix); err != nil {
			t.Fatalf("journal file: %v", err)
		}
		files = append(files, db+suffix)
	}
	return files
}

// postAll posts chatRequestBody(id) for every id at once and returns the
// answers by id.
func postAll(base, token string, ids []string) map[string]answer {
	var mu sync.Mutex
	out := map[string]answer{}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			a := postWebhook(http.DefaultClient, base, token, chatRequestBody(id))
			mu.Lock()
			out[id] = a
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// health is GET /healthz: the status code and the answer.
func health(t *testing.T, base string) (int, string, map[string]any) {
	t.Helper()
	a := do(http.DefaultClient, "GET", base+"/healthz", "", "", nil)
	if a.err != nil {
		t.Fatalf("healthz: %v", a.err)
	}
	m := a.json()
	status, _ := m["status"].(string)
	problems, _ := m["problems"].(map[string]any)
	return a.status, status, problems
}

// storedIDs is the set of load ids in the journal.
func storedIDs(t *testing.T, base, token string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, e := range allEvents(t, http.DefaultClient, base, token) {
		if id := chatIDOf(e.Payload); id != "" {
			out[id]++
		}
	}
	return out
}

// TestReadOnlyJournalAnswers503 makes the running server's journal
// unwritable for real: the database, its WAL, its shared memory and their
// directory get the immutable flag (chattr +i), which stops root too and
// also writes through the descriptors SQLite already holds. Every webhook
// then gets 503 with Retry-After and a JSON error, never a 2xx, nothing is
// stored, /healthz says unhealthy and why, and the board still reads.
// When the flag is cleared the same webhooks (vendors retry) are taken,
// each once, and /healthz is ok again.
func TestReadOnlyJournalAnswers503(t *testing.T) {
	state := t.TempDir()
	db := filepath.Join(state, "chatdeck", "journal.db")
	p := startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--webhook-rate", "0")
	base := "http://" + p.addr
	if a := postWebhook(http.DefaultClient, base, "tok", chatRequestBody("before")); a.status != 200 {
		t.Fatalf("first webhook: %v", a)
	}
	files := journalFiles(t, db)
	t.Cleanup(func() {
		for _, f := range files {
			_ = setImmutable(f, false)
		}
	})
	for _, f := range files {
		if err := setImmutable(f, true); err != nil {
			if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) {
				skipOrFail(t, "cannot make the journal immutable here (needs root on a filesystem with chattr +i): %v", err)
			}
			t.Fatal(err)
		}
	}
	var ids []string
	for i := range 24 {
		ids = append(ids, fmt.Sprintf("ro-%d", i))
	}
	for id, a := range postAll(base, "tok", ids) {
		msg, _ := a.json()["error"].(string)
		if a.status != 503 || a.header.Get("Retry-After") == "" || !strings.Contains(msg, "journal unavailable") {
			t.Errorf("%s with the journal read-only: %v (Retry-After %q), want 503 journal unavailable", id, a, a.header.Get("Retry-After"))
		}
	}
	code, status, problems := health(t, base)
	if code != 503 || status != "unhealthy" || !strings.Contains(fmt.Sprint(problems["journal"]), "last write failed") {
		t.Errorf("healthz with the journal read-only: %d %s %v, want 503 unhealthy naming the journal", code, status, problems)
	}
	if b := boardOf(t, p.addr, "tok"); len(b["queue"].([]any)) != 1 {
		t.Errorf("board while read-only: %d waiting, want the 1 stored", len(b["queue"].([]any)))
	}
	// (GET /v1/events may fail meanwhile: a new reader connection cannot
	// open the file. That nothing refused was stored shows below: each
	// retry is new, not a duplicate.)

	for _, f := range files {
		if err := setImmutable(f, false); err != nil {
			t.Fatal(err)
		}
	}
	for id, a := range postAll(base, "tok", ids) {
		if a.status != 200 || a.json()["duplicate"] == true {
			t.Errorf("%s retried after the journal is writable again: %v, want 200, new", id, a)
		}
	}
	if code, status, problems := health(t, base); code != 200 || status != "ok" {
		t.Errorf("healthz after recovery: %d %s %v", code, status, problems)
	}
	got := storedIDs(t, base, "tok")
	for _, id := range append(ids, "before") {
		if got[id] != 1 {
			t.Errorf("%s stored %d times, want once", id, got[id])
		}
	}
	p.stop(t)
}

// TestFullDiskAnswers503 puts the journal on a small tmpfs and fills it:
// a webhook that needs space gets 503 (never a 2xx), /healthz says
// unhealthy; every webhook answered 2xx meanwhile is stored and none
// answered 503 is; once space is freed the vendor's retry is taken.
func TestFullDiskAnswers503(t *testing.T) {
	state := t.TempDir()
	mnt := filepath.Join(state, "small")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=4m,mode=0700"); err != nil {
		skipOrFail(t, "cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	p := startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--webhook-rate", "0", "--db", filepath.Join(mnt, "journal.db"))
	base := "http://" + p.addr
	if a := postWebhook(http.DefaultClient, base, "tok", chatRequestBody("before")); a.status != 200 {
		t.Fatalf("first webhook: %v", a)
	}
	// Fill every byte left.
	filler, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{64 << 10, 4 << 10, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := filler.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("filling: %v", err)
				}
				break
			}
		}
	}
	filler.Close()

	// /healthz finds out before any webhook does: the journal's write
	// probe runs when nothing was written for a while (5 s).
	waitUntil(t, 20*time.Second, "healthz to say unhealthy on the full disk before a webhook fails", func() (bool, string) {
		code, status, problems := health(t, base)
		return code == 503 && status == "unhealthy" && strings.Contains(fmt.Sprint(problems["journal"]), "full"),
			fmt.Sprint(code, status, problems)
	})

	// A webhook with a large body cannot fit.
	big := func(id string) []byte {
		return []byte(`{"event":"chat_request","visitor":{"id":"` + id + `","chat_id":"` + id + `","status":0,"name":"` +
			strings.Repeat("x", 400<<10) + `"}}`)
	}
	a := postWebhook(http.DefaultClient, base, "tok", big("big-1"))
	if msg, _ := a.json()["error"].(string); a.status != 503 || !strings.Contains(msg, "journal unavailable") || a.header.Get("Retry-After") == "" {
		t.Fatalf("a large webhook on a full disk: %v, want 503", a)
	}
	if code, status, problems := health(t, base); code != 503 || status != "unhealthy" || !strings.Contains(fmt.Sprint(problems["journal"]), "full") {
		t.Errorf("healthz on a full disk: %d %s %v, want 503 unhealthy, disk full", code, status, problems)
	}
	// Small ones may still fit in space the journal holds; either way
	// the answer is 2xx (stored) or 503 (not).
	answers := map[string]answer{"big-1": a}
	var ids []string
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("full-%d", i))
	}
	for id, a := range postAll(base, "tok", ids) {
		if a.status != 200 && a.status != 503 {
			t.Errorf("%s on a full disk: %v, want 200 or 503", id, a)
		}
		answers[id] = a
	}
	a = postWebhook(http.DefaultClient, base, "tok", big("big-2"))
	if a.status != 503 {
		t.Errorf("a second large webhook on a full disk: %v, want 503", a)
	}
	answers["big-2"] = a
	got := storedIDs(t, base, "tok")
	refused := 0
	for id, a := range answers {
		switch {
		case a.status == 200 && got[id] != 1:
			t.Errorf("%s answered 200 but stored %d times", id, got[id])
		case a.status == 503 && got[id] != 0:
			t.Errorf("%s answered 503 but stored", id)
		case a.status == 503:
			refused++
		}
	}
	t.Logf("on the full disk: %d of %d refused", refused, len(answers))

	// Space comes back: the vendors' retries are taken.
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	for id, a := range answers {
		body := chatRequestBody(id)
		if strings.HasPrefix(id, "big-") {
			body = big(id)
		}
		r := postWebhook(http.DefaultClient, base, "tok", body)
		if r.status != 200 || (r.json()["duplicate"] == true) != (a.status == 200) {
			t.Errorf("%s retried with space again (first %d): %v", id, a.status, r)
		}
	}
	if code, status, problems := health(t, base); code != 200 || status != "ok" {
		t.Errorf("healthz with space again: %d %s %v", code, status, problems)
	}
	got = storedIDs(t, base, "tok")
	for id := range answers {
		if got[id] != 1 {
			t.Errorf("%s stored %d times after the retries, want once", id, got[id])
		}
	}
	p.stop(t)
	time.Sleep(10 * time.Millisecond)
}

// smallTmpfs mounts a 4 MiB tmpfs under dir for the test, or skips.
func smallTmpfs(t *testing.T, dir string) string {
	t.Helper()
	mnt := filepath.Join(dir, "small")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=4m,mode=0700"); err != nil {
		skipOrFail(t, "cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	return mnt
}

// fill writes the file name until its filesystem has no byte left.
func fill(t *testing.T, name string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{64 << 10, 4 << 10, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("filling: %v", err)
				}
				break
			}
		}
	}
}

// TestRestartOnFullDiskIsUnhealthyAtOnce: a server dies (kill -9) and is
// started again on a disk that filled up meanwhile. It starts (the
// journal reads), and its first /healthz, before any webhook, says
// unhealthy and that the disk is full (the write probe at start-up); the
// first webhook gets 503. Once space is freed /healthz turns ok by itself
// (the probe) and webhooks are taken; every one acknowledged is kept.
func TestRestartOnFullDiskIsUnhealthyAtOnce(t *testing.T) {
	state := t.TempDir()
	mnt := smallTmpfs(t, state)
	db := filepath.Join(mnt, "journal.db")
	p := startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--webhook-rate", "0", "--db", db)
	if a := postWebhook(http.DefaultClient, "http://"+p.addr, "tok", chatRequestBody("before")); a.status != 200 {
		t.Fatalf("first webhook: %v", a)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	fill(t, filepath.Join(mnt, "filler"))

	p = startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--webhook-rate", "0", "--db", db)
	base := "http://" + p.addr
	if code, status, problems := health(t, base); code != 503 || status != "unhealthy" || !strings.Contains(fmt.Sprint(problems["journal"]), "full") {
		t.Errorf("the first healthz after a restart on a full disk: %d %s %v, want 503 unhealthy, disk full", code, status, problems)
	}
	if a := postWebhook(http.DefaultClient, base, "tok", chatRequestBody("full")); a.status != 503 {
		t.Errorf("a webhook on the full disk: %v, want 503", a)
	}
	if b := boardOf(t, p.addr, "tok"); len(b["queue"].([]any)) != 1 {
		t.Errorf("the board on the full disk: %d waiting, want the 1 stored", len(b["queue"].([]any)))
	}

	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "healthz to turn ok once space is back", func() (bool, string) {
		code, status, problems := health(t, base)
		return code == 200 && status == "ok", fmt.Sprint(code, status, problems)
	})
	if a := postWebhook(http.DefaultClient, base, "tok", chatRequestBody("full")); a.status != 200 || a.json()["duplicate"] == true {
		t.Errorf("the retry with space again: %v, want 200, new", a)
	}
	got := storedIDs(t, base, "tok")
	for _, id := range []string{"before", "full"} {
		if got[id] != 1 {
			t.Errorf("%s stored %d times, want once", id, got[id])
		}
	}
	p.stop(t)
}

// TestStartOnFullDiskSaysSo: a server stopped cleanly (its WAL and shared
// memory removed) cannot start again on a full disk, since SQLite cannot
// make its shared memory file: it exits at once, non-zero, saying the
// filesystem has no space, rather than serve unable to store.
func TestStartOnFullDiskSaysSo(t *testing.T) {
	state := t.TempDir()
	mnt := smallTmpfs(t, state)
	db := filepath.Join(mnt, "journal.db")
	p := startServeEnv(t, state, []string{"CHATDECK_TOKEN=tok"}, "--db", db)
	if a := postWebhook(http.DefaultClient, "http://"+p.addr, "tok", chatRequestBody("before")); a.status != 200 {
		t.Fatalf("first webhook: %v", a)
	}
	p.stop(t)
	fill(t, filepath.Join(mnt, "filler"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--listen", "127.0.0.1:0", "--db", db)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "XDG_CONFIG_HOME="+filepath.Join(state, "config"),
		"CHATDECK_TOKEN=tok", "CHATDECK_DB=", "COMM100_API_BASE=", "COMM100_ACCESS_TOKEN=")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil || err == nil {
		t.Fatalf("serve on a full disk: %v, want a non-zero exit at once:\n%s", err, out)
	}
	if !strings.Contains(string(out), "journal: open "+db) || !strings.Contains(string(out), "bytes free") {
		t.Errorf("serve on a full disk says:\n%s\nwant the journal and the free space named", out)
	}
}
