package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/money"
	"carfin/payments"
)

// Several `carfin serve` processes on one PostgreSQL database behind
// nginx (issue 15). nginx because Debian's nginx-light is small, starts
// unprivileged from a config in a temp dir in milliseconds, and its
// passive health settings (max_fails, fail_timeout, proxy_next_upstream)
// are what most lenders' operators already run in front of Go services;
// HAProxy's active checks would read /readyz, but nginx's retry on a
// refused connection or a 503 covers an instance that drains.

// instanceCount is how many carfin processes the proxy balances.
const instanceCount = 3

// serveArgsEnv carries a command line to TestServeProcess.
const serveArgsEnv = "CARFIN_SERVE_ARGS"

// TestServeProcess is not a test: it is how TestInstancesBehindProxy runs
// carfin in a child process, stopped by SIGTERM as main is (the kill
// tests' TestHelperProcess dies of it). It does nothing unless the parent
// set serveArgsEnv.
func TestServeProcess(t *testing.T) {
	args := os.Getenv(serveArgsEnv)
	if args == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, append([]string{"carfin"}, strings.Split(args, "\x1f")...), os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// instance is one `carfin serve` child process.
type instance struct {
	addr string // 127.0.0.1:port, where it listens
	// base is its own origin, http://localhost:port: the portal's
	// origin must be a name (passkeys), and a browser's cookies for
	// localhost go to every port.
	base    string
	cmd     *exec.Cmd
	out     *syncBuffer // what it printed, for failures
	done    chan error  // Wait's answer
	stopped bool
}

// freePort returns a loopback port nobody listens on now. The instances
// need theirs before they start (with --base-url set, serve prints the
// public address, not the one it bound), and the proxy's is in their
// --base-url. It is taken below Linux's ephemeral range (32768–60999),
// so that the listeners on port 0 of the tests running meanwhile cannot
// take it before its process binds it.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 20_000 + rand.IntN(12_000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // in use
		}
		ln.Close()
		return port
	}
	t.Fatal("no free port in 20000-31999")
	return 0
}

// helperEnv is the environment of a carfin child process: its command
// line in argsEnv, the demo lender's identity and env's payments
// configuration.
func helperEnv(argsEnv string, env payEnv, args ...string) []string {
	out := append(os.Environ(), argsEnv+"="+strings.Join(args, "\x1f"))
	for k, v := range demoIdentity {
		out = append(out, k+"="+v)
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// startInstance runs `carfin serve` on port in a child process (the test
// binary through TestServeProcess) and waits until /readyz answers 200.
// The process gets SIGTERM when the test ends, unless stopped before.
func startInstance(t *testing.T, env payEnv, port int, args ...string) *instance {
	t.Helper()
	in := &instance{addr: fmt.Sprintf("127.0.0.1:%d", port), base: fmt.Sprintf("http://localhost:%d", port), out: &syncBuffer{}, done: make(chan error, 1)}
	in.cmd = exec.Command(os.Args[0], "-test.run=^TestServeProcess$")
	in.cmd.Env = helperEnv(serveArgsEnv, env, append([]string{"serve", "--addr", in.addr}, args...)...)
	in.cmd.Stdout, in.cmd.Stderr = in.out, in.out
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.done <- in.cmd.Wait() }()
	t.Cleanup(func() { in.stop(t) })
	waitReady(t, in.base, in.done, in.out)
	return in
}

// stop sends SIGTERM and waits for the process to end; it fails the test
// if the process does not exit 0 within 20 s. Stopping twice is a no-op.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	if in.stopped {
		return
	}
	in.stopped = true
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-in.done:
		if err != nil {
			t.Errorf("instance %s exited with %v:\n%s", in.base, err, in.out)
		}
	case <-time.After(20 * time.Second):
		_ = in.cmd.Process.Kill()
		err := <-in.done
		t.Errorf("instance %s did not stop in 20 s after SIGTERM (killed: %v):\n%s", in.base, err, in.out)
	}
}

// waitReady polls base/readyz until it answers 200, for at most 30 s, or
// until done reports the process ended.
func waitReady(t *testing.T, base string, done chan error, out fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("%s ended before it was ready: %v\n%s", base, err, out)
		default:
		}
		if res, err := c.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready in 30 s\n%s", base, out)
}

// nginxBinary finds nginx (Debian's nginx-light, which .ci/run installs):
// $CARFIN_NGINX, then PATH, then /usr/sbin. Missing, the test skips, and
// fails in CI.
func nginxBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CARFIN_NGINX"); p != "" {
		return p
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	msg := "nginx not found (Debian package nginx-light, or set CARFIN_NGINX)"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: CI must run the multi-instance test", msg)
	}
	t.Skip(msg)
	return ""
}

// nginxConf balances the upstreams round robin. A refused connection, a
// time-out or a 503 (an instance draining or not ready) sends the request
// to the next instance, and takes the failed one out for fail_timeout;
// POSTs are never retried (nginx retries only idempotent methods).
// X-Upstream tells the test which instance answered, X-Proxy-Request-Id
// the id nginx gave the request.
const nginxConf = `worker_processes 1;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path %[1]s/client_body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  upstream carfin {
%[2]s  }
  server {
    listen 127.0.0.1:%[3]d;
    location / {
      proxy_pass http://carfin;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-Id $request_id;
      proxy_next_upstream error timeout http_503;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;
      proxy_max_temp_file_size 0;
      add_header X-Upstream $upstream_addr always;
      add_header X-Proxy-Request-Id $request_id always;
    }
  }
}
`

// startNginx runs nginx in the foreground on port in front of upstreams
// (host:port), with its config, pid and temp files in a temp dir, and
// stops it when the test ends.
func startNginx(t *testing.T, port int, upstreams []string) string {
	t.Helper()
	bin := nginxBinary(t)
	dir := t.TempDir()
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "    server %s max_fails=1 fail_timeout=10s;\n", u)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, servers.String(), port), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-e", "stderr", "-p", dir, "-c", conf, "-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT) // graceful stop
		select {
		case err := <-done:
			if err != nil {
				t.Logf("nginx: %v\n%s", err, out)
			}
		case <-time.After(10 * time.Second):
			// A graceful stop waits for its workers' connections; on a
			// loaded machine that can take longer. The proxy's own
			// shutdown is not what the test is about: stop it fast.
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-done:
				t.Logf("nginx stopped fast after 10 s of graceful stop: %v", err)
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				err := <-done
				t.Errorf("nginx did not stop in 30 s after SIGQUIT and SIGTERM (killed: %v):\n%s", err, out)
			}
		}
	})
	base := fmt.Sprintf("http://localhost:%d", port)
	waitReady(t, base, done, out)
	return base
}

// helperRun runs carfin args in a child process and returns its output.
func helperRun(env payEnv, args ...string) (string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = helperEnv(helperArgsEnv, env, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// at is a browser that sends its requests to base, with client's cookies.
func at(t *testing.T, base string, c *http.Client, ip string) *browser {
	return &browser{t: t, srv: &server{t: t, base: base}, c: c, ip: ip, header: http.Header{}}
}

// TestInstancesBehindProxy starts three `carfin serve` processes on one
// PostgreSQL database behind nginx, with --trusted-proxies set to the
// proxy's address and --base-url to its origin, and shows:
//   - a day close started on two processes at once closes each contract
//     once, and both finish: the book equals a twin closed by one
//     process, `check` clean;
//   - a session made through the proxy works on every instance directly
//     and through the proxy (round robin over all three), records the
//     client's address from X-Forwarded-For, keeps nginx's request id,
//     and ends everywhere on logout;
//   - the same payment form (one idempotency key) posted at the same
//     moment to two instances makes one payment, and both answers show
//     its confirmation, five times over;
//   - one IP's sign-in failures spread over the three instances meet
//     one per-IP limit, and a burst of wrong passwords from many
//     networks one global failure budget, as with one instance;
//   - an instance stopped with SIGTERM while requests flow through the
//     proxy costs the clients no error: nginx retries on the others, and
//     the stopped process exits 0.
func TestInstancesBehindProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers and nginx")
	}
	nginxBinary(t) // before any set-up: skip (or fail in CI) at once
	ctx := context.Background()
	today := calendar.Of(time.Now().In(newYork))
	dsn, twin := dbtest.PostgresDSN(t), dbtest.PostgresDSN(t)
	for _, s := range []string{dsn, twin} {
		d, err := openDB(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		killBook(t, d, today) // 40 loans signed 40 days ago: k0…k39@example.com
		d.Close()
	}
	d, err := openDB(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	env := newPayEnv(t)

	proxyPort := freePort(t)
	proxyBase := fmt.Sprintf("http://localhost:%d", proxyPort)
	var ins []*instance
	var upstreams []string
	for range instanceCount {
		in := startInstance(t, env, freePort(t), "--db", dsn, "--base-url", proxyBase, "--trusted-proxies", "127.0.0.1/32",
			"--metrics-addr", "off", "--jobs=false")
		ins = append(ins, in)
		upstreams = append(upstreams, in.addr)
	}
	startNginx(t, proxyPort, upstreams)

	t.Run("day close on two instances", func(t *testing.T) {
		args := func(s string) []string {
			return []string{"jobs", "close-through", "--db", s, "--date", (today - 1).String(), "--chunk-size", "10"}
		}
		var wg sync.WaitGroup
		outs, errs := make([]string, 2), make([]error, 2)
		for i := range 2 {
			wg.Go(func() { outs[i], errs[i] = helperRun(env, args(dsn)...) })
		}
		wg.Wait()
		// Both close the same chunks side by side. One that finds a chunk
		// closed skips it; one that closed a chunk while the other did too
		// finds its transaction rolled back on the chunk's key and skips
		// it as well: both finish.
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("close-through %d: %v\n%s", i, errs[i], outs[i])
			}
		}
		if out, err := helperRun(env, args(twin)...); err != nil {
			t.Fatalf("twin's close-through: %v\n%s", err, out)
		}
		var dup int
		if err := d.Read.QueryRow(`SELECT count(*) FROM (SELECT contract_id, kind, effective_date FROM servicing_events
			WHERE kind <> 'payment' GROUP BY contract_id, kind, effective_date HAVING count(*) > 1) x`).Scan(&dup); err != nil {
			t.Fatal(err)
		}
		if dup != 0 {
			t.Errorf("%d events of a contract, kind and day twice\n%s\n%s", dup, outs[0], outs[1])
		}
		if a, b := summary(t, dsn), summary(t, twin); a != b {
			t.Fatalf("closed by two processes at once:\n %s\nby one:\n %s", a, b)
		}
	})

	// Two customers with online access; the first with a confirmed bank
	// account.
	var cust [2]struct {
		id    int64
		email string
	}
	ident, err := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: proxyBase})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cust {
		cust[i].email = fmt.Sprintf("k%d@example.com", i)
		if err := d.Read.QueryRow(`SELECT id FROM customers WHERE email = $1`, cust[i].email).Scan(&cust[i].id); err != nil {
			t.Fatal(err)
		}
		if _, err := ident.CreateCustomerLogin(ctx, cust[i].id, testPassword); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("one session on every instance", func(t *testing.T) {
		jar, _ := cookiejar.New(nil) // cookies by host, not port: one jar for every localhost origin
		c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		const ip = "198.51.100.7"
		proxy := at(t, proxyBase, c, ip)
		proxy.mustSignIn(cust[1].email, testPassword)
		var sessionIP string
		if err := d.Read.QueryRow(`SELECT s.ip FROM sessions s JOIN logins l ON l.id = s.login_id WHERE l.customer_id = $1`,
			cust[1].id).Scan(&sessionIP); err != nil {
			t.Fatal(err)
		}
		if sessionIP != ip {
			t.Errorf("session recorded from %q, want the client's %s (X-Forwarded-For through the trusted proxy)", sessionIP, ip)
		}
		for _, in := range ins {
			at(t, in.base, c, ip).get("/").must(t, 200, "Welcome,")
		}
		seen := map[string]int{}
		for range 3 * instanceCount {
			r := proxy.get("/")
			r.must(t, 200, "Welcome,")
			seen[r.header.Get("X-Upstream")]++
			if id := r.header.Get("X-Proxy-Request-Id"); id == "" || r.header.Get("X-Request-Id") != id {
				t.Errorf("carfin answered X-Request-Id %q to nginx's %q: the trusted proxy's id is the request's", r.header.Get("X-Request-Id"), id)
			}
		}
		if len(seen) != instanceCount {
			t.Errorf("the proxy sent the pages to %v, want all %d instances", seen, instanceCount)
		}
		proxy.post("/logout", url.Values{}).must(t, 200, "You are signed out")
		for _, in := range append(ins, &instance{base: proxyBase}) {
			if r := at(t, in.base, c, ip).get("/"); r.status != 200 || !strings.HasPrefix(r.url, "/login") {
				t.Errorf("after logout, %s/ answers %d at %s", in.base, r.status, r.url)
			}
		}
	})

	t.Run("one payment from two instances", func(t *testing.T) {
		pay := env.paymentsFor(t, d)
		m, err := pay.AddBankAccount(ctx, cust[0].id, payments.NewBankAccount{HolderName: "Kim Test0", AccountType: "checking",
			Routing: "129083018", Account: "55501234", ConfirmAccount: "55501234"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pay.OriginateACH(ctx, calendar.OnOrAfterBusinessDay(pay.Config().Cutoff.Today(d.Now()))); err != nil {
			t.Fatal(err)
		}
		var a, b int64
		if err := d.Read.QueryRow(`SELECT micro1_cents, micro2_cents FROM payment_methods WHERE id = $1`, m.ID).Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		if _, err := pay.ConfirmMicroDeposits(ctx, cust[0].id, m.ID, money.Cents(a), money.Cents(b)); err != nil {
			t.Fatal(err)
		}
		var loan int64
		if err := d.Read.QueryRow(`SELECT id FROM contracts WHERE customer_id = $1`, cust[0].id).Scan(&loan); err != nil {
			t.Fatal(err)
		}

		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		const ip = "198.51.100.8"
		at(t, proxyBase, c, ip).mustSignIn(cust[0].email, testPassword)
		path := "/contracts/" + itoa(loan) + "/pay"
		payDate := calendar.OnOrAfterBusinessDay(today + 3).String()
		// The same confirmation, sent at once to two instances: a double
		// click that two connections carried to two machines. Five times,
		// each a payment of its own amount, over each pair of instances.
		for round := range 5 {
			cents := 41_00 + int64(round)
			form := url.Values{"amount": {"other"}, "other": {fmt.Sprintf("%d.%02d", cents/100, cents%100)}, "method": {itoa(m.ID)},
				"date": {payDate}}
			rev := at(t, proxyBase, c, ip).get(path + "/review?" + form.Encode())
			rev.must(t, 200, "Confirm the payment of $"+form.Get("other"))
			key := keyRE.FindStringSubmatch(rev.body)[1]
			start := make(chan struct{})
			var wg sync.WaitGroup
			res := make([]response, 2)
			for i := range 2 {
				b := at(t, ins[(round+i)%instanceCount].base, c, ip)
				wg.Go(func() { <-start; res[i] = b.post(path, with(form, "key", key)) })
			}
			close(start)
			wg.Wait()
			var confs []string
			for i, r := range res {
				r.must(t, 200, "Thank you: your payment is confirmed")
				m := confRE.FindStringSubmatch(r.url)
				if m == nil {
					t.Fatalf("round %d, answer %d at %s", round, i, r.url)
				}
				confs = append(confs, m[1])
			}
			if confs[0] != confs[1] {
				t.Errorf("round %d: two confirmations %v", round, confs)
			}
			var n int
			if err := d.Read.QueryRow(`SELECT count(*) FROM payments WHERE customer_id = $1 AND amount_cents = $2`,
				cust[0].id, cents).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("round %d: %d payments of $%s, want 1", round, n, form.Get("other"))
			}
		}
	})

	t.Run("sign-in budgets shared", func(t *testing.T) {
		limits := identity.DefaultLimits()
		client := &http.Client{Timeout: 60 * time.Second}
		attempt := func(ip, email string) response {
			return at(t, proxyBase, client, ip).login(email, "not the password")
		}
		// Per IP: the proxy spreads one IP's attempts over the three
		// instances, and still only IPFailuresMax of them are tried.
		var rs []response
		for range limits.IPFailuresMax + 5 {
			rs = append(rs, attempt("198.51.100.77", "nobody.here@example.com"))
		}
		if got := statuses(rs); fmt.Sprint(got) != fmt.Sprint(map[int]int{401: limits.IPFailuresMax, 429: 5}) {
			t.Errorf("one IP through three instances: %v, want %d tried and 5 refused", got, limits.IPFailuresMax)
		}
		attempt("198.51.101.77", "nobody.here@example.com").must(t, 401) // another IP is not refused
		// Global: wrong passwords for as many accounts from as many
		// networks, sent at once, spend the one budget: GlobalFailureBurst
		// units and what refilled while they arrived, not three
		// instances' worth. The accounts' hashes are cheap (cheapParams),
		// so that the burst is over in a moment, -race or not. A request
		// the instance's load shedder answers 503 is sent again, as a
		// browser would after its Retry-After.
		var emails []string
		for i := range 38 {
			email := fmt.Sprintf("k%d@example.com", 2+i)
			var id int64
			if err := d.Read.QueryRow(`SELECT id FROM customers WHERE email = $1`, email).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if _, err := ident.CreateCustomerLogin(ctx, id, testPassword); err != nil {
				t.Fatal(err)
			}
			emails = append(emails, email)
		}
		time.Sleep(time.Duration(float64(time.Second) * limits.GlobalFailureBurst / limits.GlobalFailuresPerSecond)) // full again
		rs = make([]response, len(emails))
		next := make(chan int)
		var wg sync.WaitGroup
		t0 := time.Now()
		for range 2 * instanceCount {
			wg.Go(func() {
				for i := range next {
					for deadline := time.Now().Add(10 * time.Second); ; {
						rs[i] = attempt(fmt.Sprintf("203.0.%d.9", 100+i), emails[i])
						if rs[i].status != http.StatusServiceUnavailable || time.Now().After(deadline) {
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
			})
		}
		for i := range emails {
			next <- i
		}
		close(next)
		wg.Wait()
		elapsed := time.Since(t0)
		got := statuses(rs)
		least, most := int(limits.GlobalFailureBurst), int(limits.GlobalFailureBurst+limits.GlobalFailuresPerSecond*elapsed.Seconds())+1
		t.Logf("wrong passwords for %d accounts from as many networks: %v in %s (one budget allows %d to %d)", len(emails), got,
			elapsed.Round(time.Millisecond), least, most)
		if got[401] < least || got[401] > most || got[401]+got[429] != len(emails) {
			t.Errorf("%d wrong passwords: %v, want %d to %d tried and the rest refused", len(emails), got, least, most)
		}
	})

	t.Run("proxy takes a stopped instance out", func(t *testing.T) {
		c := &http.Client{Timeout: 10 * time.Second}
		var mu sync.Mutex
		statuses := map[int]int{}
		var failures []string
		stopAt := time.Now().Add(3 * time.Second)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for time.Now().Before(stopAt) {
					res, err := c.Get(proxyBase + "/login")
					mu.Lock()
					if err != nil {
						failures = append(failures, err.Error())
					} else {
						statuses[res.StatusCode]++
					}
					mu.Unlock()
					if err == nil {
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			})
		}
		time.Sleep(time.Second)
		t0 := time.Now()
		ins[0].stop(t)
		t.Logf("instance stopped in %s", time.Since(t0).Round(time.Millisecond))
		wg.Wait()
		if len(failures) > 0 || len(statuses) != 1 || statuses[200] == 0 {
			t.Errorf("through the proxy while an instance stopped: %v, errors %v", statuses, failures)
		}
		t.Logf("through the proxy while an instance stopped: %v", statuses)
		seen := map[string]bool{}
		for range 10 {
			r := at(t, proxyBase, c, "").get("/login")
			r.must(t, 200)
			seen[r.header.Get("X-Upstream")] = true
		}
		if seen[ins[0].addr] {
			t.Errorf("the stopped instance still answered: %v", seen)
		}
	})
}
