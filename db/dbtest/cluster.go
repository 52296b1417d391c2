package dbtest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// EnvPostgresBin names the variable holding the directory of PostgreSQL's
// server binaries (initdb, pg_ctl), for PrivateCluster; without it they
// are looked up on PATH, then in Debian's /usr/lib/postgresql/*/bin.
const EnvPostgresBin = "CARFIN_TEST_POSTGRES_BIN"

// Limits of a private cluster.
const (
	// clusterWaitSeconds bounds pg_ctl's wait for a start or a stop.
	clusterWaitSeconds = 30
	// clusterPortFirst and clusterPortCount: the ports a cluster takes,
	// below the ones the cmd/carfin tests give their servers
	// (20000-31999) and Linux's ephemeral range (32768-60999).
	clusterPortFirst = 12_000
	clusterPortCount = 8_000
)

// Cluster is a PostgreSQL server of a test's own, in a temporary
// directory: unlike the shared server at CARFIN_TEST_POSTGRES_URL, a test
// may stop and restart it (an outage) without harming the others. It
// runs with fsync off: it survives a restart of the server, which is what
// tests do, not of the machine.
type Cluster struct {
	t    testing.TB
	bin  string // the directory of initdb and pg_ctl
	dir  string // the cluster's directory: data/, the socket, the log
	port int
	cred *syscall.Credential // whom the server runs as (nil: this user)

	mu      sync.Mutex
	running bool
}

// PrivateCluster creates a cluster with initdb in a temporary directory,
// starts it on a free loopback port, and stops and removes it when the
// test ends. PostgreSQL refuses to run as root: as root, the cluster is
// the "postgres" user's (or nobody's). Without PostgreSQL's binaries the
// test is skipped, and fails under CI (CI set).
func PrivateCluster(t testing.TB) *Cluster {
	t.Helper()
	c := &Cluster{t: t, bin: postgresBin(t)}
	var err error
	if os.Geteuid() == 0 {
		// t.TempDir's parents are root's, mode 0700: the server's user
		// could not reach a directory under them.
		if c.dir, err = os.MkdirTemp("", "carfin-pg-"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(c.dir) })
		c.cred = serverUser(t)
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	} else {
		c.dir = t.TempDir()
	}
	c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	c.port = clusterPort(t)
	conf := fmt.Sprintf("\n# carfin test cluster\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"+
		"fsync = off\nfull_page_writes = off\nmax_connections = 100\nshared_buffers = 32MB\n", c.port, c.dir)
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(conf); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	c.Start()
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.running {
			_, _ = c.pgctl("stop", "-m", "immediate")
			c.running = false
		}
	})
	return c
}

// DSN returns the URL of the cluster's "postgres" database, as its
// superuser, over TCP.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Port returns the port the cluster listens on.
func (c *Cluster) Port() int { return c.port }

// Start starts the stopped cluster and waits until it takes connections;
// it fails the test if it does not within clusterWaitSeconds.
func (c *Cluster) Start() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, err := c.pgctl("start", "-l", filepath.Join(c.dir, "server.log")); err != nil {
		c.t.Fatalf("start PostgreSQL cluster: %v\n%s\n%s", err, out, c.serverLog())
	}
	c.running = true
}

// Stop stops the cluster the way an operator restarting it does
// (pg_ctl stop -m fast): every session is ended at once, with SQLSTATE
// 57P01, and what was committed is kept.
func (c *Cluster) Stop() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, err := c.pgctl("stop", "-m", "fast"); err != nil {
		c.t.Fatalf("stop PostgreSQL cluster: %v\n%s\n%s", err, out, c.serverLog())
	}
	c.running = false
}

// Log returns what the server wrote to its log, for failure messages.
func (c *Cluster) Log() string { return c.serverLog() }

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) serverLog() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return string(b)
}

// pgctl runs pg_ctl action on the cluster, waiting for it to finish.
func (c *Cluster) pgctl(action string, args ...string) (string, error) {
	cmd := c.command("pg_ctl", append([]string{action, "-D", c.data(), "-w", "-t", strconv.Itoa(clusterWaitSeconds)}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// run runs one of PostgreSQL's programs and fails the test if it fails.
func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.command(name, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	// The server's environment: not the test's PG* variables, and a
	// fixed locale (the C locale is always there).
	cmd.Env = []string{"PATH=" + c.bin + ":/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// postgresBin finds the directory of initdb and pg_ctl: EnvPostgresBin,
// PATH, then the newest of Debian's /usr/lib/postgresql/*/bin.
func postgresBin(t testing.TB) string {
	t.Helper()
	has := func(dir string) bool {
		_, e1 := os.Stat(filepath.Join(dir, "initdb"))
		_, e2 := os.Stat(filepath.Join(dir, "pg_ctl"))
		return e1 == nil && e2 == nil
	}
	if dir := os.Getenv(EnvPostgresBin); dir != "" {
		if !has(dir) {
			t.Fatalf("%s=%s has no initdb and pg_ctl", EnvPostgresBin, dir)
		}
		return dir
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if has(dir) {
			return dir
		}
	}
	msg := "PostgreSQL's server binaries (initdb, pg_ctl) not found: install the postgresql package or set " + EnvPostgresBin
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: CI must run the outage tests", msg)
	}
	t.Skip(msg)
	return ""
}

// versionOf reads the major version from /usr/lib/postgresql/15/bin.
func versionOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// serverUser is whom a cluster made by root runs as: "postgres" (the
// Debian package creates it), else "nobody".
func serverUser(t testing.TB) *syscall.Credential {
	t.Helper()
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil && uid != 0 {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		}
	}
	t.Fatal("running as root, and no user postgres or nobody to run PostgreSQL as (it refuses root)")
	return nil
}

// clusterPort returns a loopback port nobody listens on now.
func clusterPort(t testing.TB) int {
	t.Helper()
	for range 100 {
		port := clusterPortFirst + rand.IntN(clusterPortCount)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	t.Fatalf("no free port in %d-%d", clusterPortFirst, clusterPortFirst+clusterPortCount-1)
	return 0
}
