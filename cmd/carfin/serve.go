package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"carfin/approvals"
	"carfin/calendar"
	"carfin/callers"
	"carfin/casefile"
	"carfin/complaints"
	"carfin/console"
	"carfin/db"
	"carfin/identity"
	"carfin/jobs"
	"carfin/keyring"
	"carfin/notes"
	"carfin/notify"
	"carfin/profile"
	"carfin/servicing"
	"carfin/staff"
	"carfin/support"
	"carfin/web"
	"carfin/webcore"
)

// serveConfig is the configuration of `carfin serve` (and of `carfin
// demo`, which starts the same server). Every field has a flag and an
// environment variable; the flag wins.
type serveConfig struct {
	DSN      string // CARFIN_DB
	Addr     string // CARFIN_ADDR
	BaseURL  string // CARFIN_BASE_URL; default http://localhost:PORT on loopback
	TLSCert  string // CARFIN_TLS_CERT
	TLSKey   string // CARFIN_TLS_KEY
	Brand    webcore.Brand
	TimeZone string // CARFIN_TIME_ZONE, IANA name
	Cutoff   string // CARFIN_CUTOFF, HH:MM local time for same-day payments
	// TrustedProxies (CARFIN_TRUSTED_PROXIES, comma-separated CIDRs) are
	// the only peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	SMTPURL        string // CARFIN_SMTP_URL; empty: log messages instead of sending (development)
	MailFrom       string // CARFIN_MAIL_FROM
	// SMSURL (CARFIN_SMS_URL) is the lender's SMS gateway (notify.SMSGateway);
	// its token comes from CARFIN_SMS_TOKEN only (a flag shows in ps).
	// Empty: texts are written to the log (development).
	SMSURL, smsToken string
	PlacesFile       string // CARFIN_PLACES_CSV: "cidr,place" lines for approximate places
	LogoFile         string // CARFIN_LOGO: PNG, JPEG or SVG shown beside the lender's name
	// MetricsAddr (CARFIN_METRICS_ADDR) is the listener of /metrics, apart
	// from the portal's so that a reverse proxy never exposes it: loopback
	// by default, "off" for none. metricsToken (CARFIN_METRICS_TOKEN only)
	// is the bearer token it then asks for; a non-loopback address needs one.
	MetricsAddr, metricsToken string
	// LenderAddress (CARFIN_LENDER_ADDRESS) heads letters (default: the
	// correspondence address); PayoffWire (CARFIN_PAYOFF_WIRE) and
	// PayoffMail (CARFIN_PAYOFF_MAIL; default: the overnight address) are
	// the payoff instructions on quotes and letters. Lines are separated
	// by ";".
	LenderAddress, PayoffWire, PayoffMail string
	// FAQDir (CARFIN_FAQ_DIR) holds the lender's faq.en.md / faq.es.md,
	// replacing the shipped FAQ; MailingAddresses (CARFIN_ADDRESS_*) are
	// shown on the contact page.
	FAQDir           string
	MailingAddresses []web.MailingAddress
	// Jobs (CARFIN_JOBS) runs the background jobs in this process: the
	// nightly day close. On PostgreSQL any number of instances may; River
	// elects one leader for the periodic check. Off only for processes
	// that must not (tests).
	Jobs bool
	// JobsRescueAfter (CARFIN_JOBS_RESCUE_AFTER) is how long a job may
	// stay running before another process takes it for stuck: the job of
	// a killed process (0: jobs.RescueAfterDefault).
	JobsRescueAfter time.Duration
	// DrainDelay (CARFIN_DRAIN_DELAY) is how long, after SIGTERM, the
	// instance keeps serving while /readyz answers 503, before it stops
	// taking requests: a proxy that polls readiness takes it out first.
	DrainDelay time.Duration
	// StatementLeadDays (CARFIN_STATEMENT_LEAD_DAYS) is how many days
	// before the due date a statement is made (0: 21); PrintDir
	// (CARFIN_PRINT_DIR) is where each day's print batch for the mail
	// house is written (none: paper statements stay queued).
	StatementLeadDays int
	PrintDir          string
	// StaffAddr (CARFIN_STAFF_ADDR) is a listener of the staff console's
	// own, so that a lender can keep the console off the internet: with
	// it the portal's listener does not serve /staff/ at all. Empty: the
	// console is served under /staff/ beside the portal. StaffAllow
	// (CARFIN_STAFF_ALLOW) are the only client networks the console
	// answers (none: any).
	StaffAddr  string
	StaffAllow []netip.Prefix

	// hashParams are the argon2id costs of new hashes (--argon2-memory,
	// --argon2-time; raising them rehashes each password at its next
	// sign-in); limits carry --lockout-failures and --lockout-duration.
	// Tests and `carfin demo` set them directly.
	hashParams identity.Params
	limits     identity.Limits
	// onListen is called with the base URL once the listener is bound
	// (tests listen on port 0); onMetrics, just before, with the metrics
	// listener's.
	onListen, onMetrics func(baseURL string)
	// logOut receives the logs (default: stdout).
	logOut io.Writer
	// env reads the settings that have no flag, from the environment: the
	// payments settings (CARFIN_PAYMENT_KEYS, CARFIN_ROUTING_FILE,
	// CARFIN_ACH_*, CARFIN_CARD_*).
	env func(string) string
}

// Server time-outs and limits (slowloris, stuck clients).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	headerBytesMax    = 64 << 10
	shutdownTimeout   = 15 * time.Second
	// drainDelayMax bounds --drain-delay: with the shutdown's 15 s it keeps
	// a stop within the 90 s most orchestrators wait before SIGKILL.
	drainDelayMax   = 60 * time.Second
	cleanupInterval = 10 * time.Minute
)

const serveUsage = `usage: carfin serve [flags]

Serves the customer portal. Every flag also reads an environment variable.
`

// parseServeConfig reads flags over environment variables over defaults.
func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage); fs.PrintDefaults() }
	return parseServeConfigInto(fs, args, getenv, stderr)
}

// parseServeConfigInto is parseServeConfig with the flags registered on
// fs, beside those fs has already (a command that needs the lender's
// settings and flags of its own: `carfin statements`).
func parseServeConfigInto(fs *flag.FlagSet, args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	cfg := serveConfig{env: getenv}
	var proxies, staffAllow string
	addresses := map[string]*string{}
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DSN, "db", env("CARFIN_DB", "sqlite:./data/carfin.db"), "database: sqlite:PATH or postgres://… (CARFIN_DB)")
	fs.StringVar(&cfg.Addr, "addr", env("CARFIN_ADDR", "127.0.0.1:8080"), "listen address HOST:PORT (CARFIN_ADDR)")
	fs.StringVar(&cfg.BaseURL, "base-url", env("CARFIN_BASE_URL", ""), "public URL, e.g. https://portal.lender.example (CARFIN_BASE_URL)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", env("CARFIN_TLS_CERT", ""), "TLS certificate file, PEM (CARFIN_TLS_CERT)")
	fs.StringVar(&cfg.TLSKey, "tls-key", env("CARFIN_TLS_KEY", ""), "TLS private key file, PEM (CARFIN_TLS_KEY)")
	fs.StringVar(&cfg.Brand.Name, "lender-name", env("CARFIN_LENDER_NAME", ""), "lender name, required (CARFIN_LENDER_NAME)")
	fs.StringVar(&cfg.Brand.Primary, "color-primary", env("CARFIN_COLOR_PRIMARY", webcore.DefaultBrand.Primary), "primary colour #rrggbb (CARFIN_COLOR_PRIMARY)")
	fs.StringVar(&cfg.Brand.Accent, "color-accent", env("CARFIN_COLOR_ACCENT", webcore.DefaultBrand.Accent), "accent colour #rrggbb (CARFIN_COLOR_ACCENT)")
	fs.StringVar(&cfg.Brand.SupportPhone, "support-phone", env("CARFIN_SUPPORT_PHONE", ""), "support phone, required (CARFIN_SUPPORT_PHONE)")
	fs.StringVar(&cfg.Brand.SupportHours, "support-hours", env("CARFIN_SUPPORT_HOURS", ""), "support hours, required (CARFIN_SUPPORT_HOURS)")
	fs.StringVar(&cfg.Brand.SupportHoursES, "support-hours-es", env("CARFIN_SUPPORT_HOURS_ES", ""), "support hours in Spanish; empty shows --support-hours (CARFIN_SUPPORT_HOURS_ES)")
	fs.StringVar(&cfg.TimeZone, "time-zone", env("CARFIN_TIME_ZONE", "America/New_York"), "lender time zone, IANA name (CARFIN_TIME_ZONE)")
	fs.StringVar(&cfg.Cutoff, "cutoff", env("CARFIN_CUTOFF", "17:00"), "same-day payment cut-off HH:MM (CARFIN_CUTOFF)")
	fs.StringVar(&proxies, "trusted-proxies", env("CARFIN_TRUSTED_PROXIES", ""), "CIDRs of proxies whose X-Forwarded-For is trusted (CARFIN_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.SMTPURL, "smtp-url", env("CARFIN_SMTP_URL", ""), "smtp://user:pass@host:587?tls=mandatory; empty logs emails instead (CARFIN_SMTP_URL)")
	fs.StringVar(&cfg.MailFrom, "mail-from", env("CARFIN_MAIL_FROM", ""), "sender address of emails (CARFIN_MAIL_FROM)")
	fs.StringVar(&cfg.SMSURL, "sms-url", env("CARFIN_SMS_URL", ""), "https URL of the SMS gateway (token in CARFIN_SMS_TOKEN); empty logs texts instead (CARFIN_SMS_URL)")
	cfg.smsToken = env("CARFIN_SMS_TOKEN", "")
	def := identity.DefaultParams
	fs.Func("argon2-memory", fmt.Sprintf("argon2id memory in KiB for new password hashes, at least %d (CARFIN_ARGON2_MEMORY)", def.MemoryKiB), func(v string) error {
		return setUint32(&cfg.hashParams.MemoryKiB, v, def.MemoryKiB, 4<<20)
	})
	fs.Func("argon2-time", fmt.Sprintf("argon2id passes for new password hashes, at least %d (CARFIN_ARGON2_TIME)", def.Time), func(v string) error {
		return setUint32(&cfg.hashParams.Time, v, def.Time, 20)
	})
	fs.Func("lockout-failures", "consecutive sign-in failures that lock an account, 3-100; default 10 (CARFIN_LOCKOUT_FAILURES)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 || n > 100 {
			return fmt.Errorf("want 3 to 100")
		}
		cfg.limits.LockoutFailures = n
		return nil
	})
	fs.Func("lockout-duration", "how long a lock lasts, 1m-24h; default 30m (CARFIN_LOCKOUT_DURATION)", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return fmt.Errorf("want a duration from 1m to 24h")
		}
		cfg.limits.LockoutDuration = d
		return nil
	})
	for flagName, envName := range map[string]string{"argon2-memory": "CARFIN_ARGON2_MEMORY", "argon2-time": "CARFIN_ARGON2_TIME",
		"lockout-failures": "CARFIN_LOCKOUT_FAILURES", "lockout-duration": "CARFIN_LOCKOUT_DURATION"} {
		if v := env(envName, ""); v != "" {
			if err := fs.Set(flagName, v); err != nil {
				return cfg, usagef("serve: %s=%q: %v", envName, v, err)
			}
		}
	}
	fs.StringVar(&cfg.PlacesFile, "places-csv", env("CARFIN_PLACES_CSV", ""), "CSV of cidr,place for approximate places (CARFIN_PLACES_CSV)")
	fs.IntVar(&cfg.StatementLeadDays, "statement-lead-days", envInt(env("CARFIN_STATEMENT_LEAD_DAYS", "")), "days before the due date a statement is made; default 21 (CARFIN_STATEMENT_LEAD_DAYS)")
	fs.StringVar(&cfg.PrintDir, "print-dir", env("CARFIN_PRINT_DIR", ""), "directory of the daily print batches for the mail house (CARFIN_PRINT_DIR)")
	fs.BoolVar(&cfg.Jobs, "jobs", env("CARFIN_JOBS", "true") == "true", "run background jobs (day close) in this process (CARFIN_JOBS)")
	fs.Func("jobs-rescue-after", fmt.Sprintf("how long a job may stay running before another process runs it again (its own was killed), 1s-24h; default %s (CARFIN_JOBS_RESCUE_AFTER)", jobs.RescueAfterDefault), func(v string) error {
		d, err := rescueAfterOf(v)
		cfg.JobsRescueAfter = d
		return err
	})
	if v := env("CARFIN_JOBS_RESCUE_AFTER", ""); v != "" {
		if err := fs.Set("jobs-rescue-after", v); err != nil {
			return cfg, usagef("serve: CARFIN_JOBS_RESCUE_AFTER=%q: %v", v, err)
		}
	}
	fs.Func("drain-delay", "after SIGTERM, keep serving this long with /readyz answering 503 so the proxy takes the instance out first, 0-60s; default 0 (CARFIN_DRAIN_DELAY)", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > drainDelayMax {
			return fmt.Errorf("want a duration from 0s to %s", drainDelayMax)
		}
		cfg.DrainDelay = d
		return nil
	})
	if v := env("CARFIN_DRAIN_DELAY", ""); v != "" {
		if err := fs.Set("drain-delay", v); err != nil {
			return cfg, usagef("serve: CARFIN_DRAIN_DELAY=%q: %v", v, err)
		}
	}
	fs.StringVar(&cfg.LogoFile, "logo", env("CARFIN_LOGO", ""), "lender logo file: .png, .jpg or .svg (CARFIN_LOGO)")
	fs.StringVar(&cfg.LenderAddress, "lender-address", env("CARFIN_LENDER_ADDRESS", ""), "lender's address on letters, lines separated by ';'; default the correspondence address (CARFIN_LENDER_ADDRESS)")
	fs.StringVar(&cfg.PayoffWire, "payoff-wire", env("CARFIN_PAYOFF_WIRE", ""), "payoff wiring instructions, lines separated by ';' (CARFIN_PAYOFF_WIRE)")
	fs.StringVar(&cfg.PayoffMail, "payoff-mail", env("CARFIN_PAYOFF_MAIL", ""), "payoff mailing address, lines separated by ';'; default the overnight address (CARFIN_PAYOFF_MAIL)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", env("CARFIN_METRICS_ADDR", defaultMetricsAddr), "listen address of /metrics, apart from the portal; off for none; a non-loopback one needs CARFIN_METRICS_TOKEN (CARFIN_METRICS_ADDR)")
	cfg.metricsToken = env("CARFIN_METRICS_TOKEN", "")
	fs.StringVar(&cfg.StaffAddr, "staff-addr", env("CARFIN_STAFF_ADDR", ""), "listen address of the staff console, apart from the portal; empty serves it under /staff/ (CARFIN_STAFF_ADDR)")
	fs.StringVar(&staffAllow, "staff-allow", env("CARFIN_STAFF_ALLOW", ""), "CIDRs the staff console answers, e.g. 10.0.0.0/8; empty: any (CARFIN_STAFF_ALLOW)")
	fs.StringVar(&cfg.FAQDir, "faq-dir", env("CARFIN_FAQ_DIR", ""), "directory with the lender's faq.en.md / faq.es.md (CARFIN_FAQ_DIR)")
	for _, kind := range web.MailingAddressKinds {
		name := "CARFIN_ADDRESS_" + strings.ToUpper(kind)
		req := ""
		if requiredAddresses[kind] {
			req = ", required"
		}
		addresses[kind] = fs.String("address-"+kind, env(name, ""), kind+" mailing address, lines separated by ';'"+req+" ("+name+")")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usagef("serve: %v", err)
	}
	if fs.NArg() > 0 {
		return cfg, usagef("serve: unexpected argument %q", fs.Arg(0))
	}
	if cfg.hashParams != (identity.Params{}) {
		// One of the costs given: the others keep their defaults.
		cfg.hashParams.MemoryKiB = cmp.Or(cfg.hashParams.MemoryKiB, identity.DefaultParams.MemoryKiB)
		cfg.hashParams.Time = cmp.Or(cfg.hashParams.Time, identity.DefaultParams.Time)
		cfg.hashParams.Threads = cmp.Or(cfg.hashParams.Threads, identity.DefaultParams.Threads)
	}
	if cfg.Brand.SupportHoursES == "" && cfg.Brand.SupportHours == webcore.DefaultBrand.SupportHours {
		cfg.Brand.SupportHoursES = webcore.DefaultBrand.SupportHoursES // the demo lender's, in Spanish
	}
	var err error
	if cfg.TrustedProxies, err = parsePrefixes("--trusted-proxies", proxies); err != nil {
		return cfg, err
	}
	if cfg.StaffAllow, err = parsePrefixes("--staff-allow", staffAllow); err != nil {
		return cfg, err
	}
	if err := checkMetricsAddr(cfg.MetricsAddr, cfg.metricsToken); err != nil {
		return cfg, err
	}
	if missing := missingIdentity(cfg.Brand, addresses); len(missing) > 0 {
		// Only `carfin demo` has an identity to fall back on (the
		// fictional demo lender's): letters, emails and pages of a real
		// lender must never show it.
		return cfg, usagef("serve: the lender's own %s must be set (each flag also reads its CARFIN_ variable; see the README)", strings.Join(missing, ", "))
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return cfg, usagef("serve: --tls-cert and --tls-key go together")
	}
	if err := cfg.Brand.Validate(); err != nil {
		return cfg, usagef("serve: %v", err)
	}
	if _, err := time.LoadLocation(cfg.TimeZone); err != nil {
		return cfg, usagef("serve: --time-zone %q: %v", cfg.TimeZone, err)
	}
	if _, err := time.Parse("15:04", cfg.Cutoff); err != nil {
		return cfg, usagef("serve: --cutoff %q: want HH:MM", cfg.Cutoff)
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return cfg, usagef("serve: --base-url %q: want http(s)://host[:port]", cfg.BaseURL)
		}
		cfg.BaseURL = u.Scheme + "://" + u.Host
	}
	for _, kind := range web.MailingAddressKinds {
		var lines []string
		for l := range strings.SplitSeq(*addresses[kind], ";") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			cfg.MailingAddresses = append(cfg.MailingAddresses, web.MailingAddress{Kind: kind, Lines: lines})
		}
	}
	if cfg.MailFrom == "" {
		cfg.MailFrom = cfg.Brand.Name + " <no-reply@localhost>"
	}
	return cfg, nil
}

// runServe is `carfin serve`: open and migrate the database, then serve
// until ctx ends (SIGINT/SIGTERM), shutting down gracefully.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServeConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	tuneGC(getenv)
	unlock, err := db.ServeLock(cfg.DSN)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer unlock()
	d, err := openDB(ctx, cfg.DSN)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer d.Close()
	return startServer(ctx, cfg, d, stdout)
}

// isLoopback reports whether a listen address only accepts local
// connections.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// startServer serves the portal on cfg.Addr over d until ctx ends, then
// shuts down gracefully. It also runs the outbox sender, the session
// cleanup, the jobs (cfg.Jobs) and the metrics listener. `carfin demo`
// calls it with the demo database. The bound address is printed
// ("listening on …") and passed to cfg.onListen.
//
// Everything is built before the portal listens, with one cleanup path
// (app.close). Only an address with port 0 (tests) is bound first, as
// the public URL needs the port the system picks.
func startServer(ctx context.Context, cfg serveConfig, d *db.DB, stdout io.Writer) error {
	logOut := cfg.logOut
	if logOut == nil {
		logOut = stdout
	}
	log := webcore.WithRequestIDLog(slog.New(slog.NewTextHandler(logOut, nil))) // lines logged with a request's context carry its id
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: --addr %q: %w", cfg.Addr, err)
	}
	var ln net.Listener
	if port == "0" {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("serve: listen %s: %w", cfg.Addr, err)
		}
		host, port, _ = net.SplitHostPort(ln.Addr().String())
	}
	a, err := buildServer(ctx, cfg, d, publicBase(cfg, host, port), isLoopback(host), log, stdout)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return fmt.Errorf("serve: %w", err)
	}
	defer a.close()
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("serve: listen %s: %w", cfg.Addr, err)
		}
	}
	return a.serve(ctx, cfg, ln, stdout)
}

// publicBase is the portal's public URL: --base-url, or this listener's.
func publicBase(cfg serveConfig, host, port string) string {
	if cfg.BaseURL != "" {
		return cfg.BaseURL
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	h := host
	if a, err := netip.ParseAddr(host); isLoopback(host) || host == "" || (err == nil && a.IsUnspecified()) {
		// Passkeys need a domain name, not an IP. Set --base-url to the
		// public name in production.
		h = "localhost"
	} else if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return scheme + "://" + h + ":" + port
}

// app is everything `serve` runs, built before it listens.
type app struct {
	log     *slog.Logger
	d       *db.DB
	base    string
	secure  bool
	id      *identity.Service
	handler http.Handler
	metrics http.Handler
	// staff is the staff console when it has a listener of its own
	// (cfg.StaffAddr); nil when the portal's listener serves it.
	staff    http.Handler
	tls      *tls.Config
	sender   *notify.Sender
	runner   *jobs.Runner // nil without cfg.Jobs
	stopJobs func()
	// ready answers /readyz: the database, and the jobs while they run
	// here; drained on shutdown. jobsUp is true from the jobs' start to
	// their stop.
	ready  *webcore.Readiness
	jobsUp atomic.Bool
}

// buildServer builds the services, the portal and the background work
// of `serve` for the public URL base, without starting any of them.
func buildServer(ctx context.Context, cfg serveConfig, d *db.DB, base string, loopback bool, log *slog.Logger, stdout io.Writer) (*app, error) {
	a := &app{log: log, d: d, base: base, stopJobs: func() {}}
	// Behind a TLS-terminating proxy the public URL is https: cookies are
	// Secure and HSTS is sent although this process speaks plain HTTP.
	a.secure = cfg.TLSCert != "" || strings.HasPrefix(base, "https://")
	if !loopback && !a.secure {
		fmt.Fprintf(stdout, "\n*** WARNING: carfin is serving plain HTTP on %s, which is not a loopback address. ***\n"+
			"*** Passwords and session cookies would cross the network unencrypted.        ***\n"+
			"*** Give --tls-cert and --tls-key, or put a TLS proxy in front and set        ***\n"+
			"*** --base-url https://….                                                     ***\n\n", cfg.Addr)
		log.Warn("serving plain HTTP on a non-loopback address: configure TLS", "addr", cfg.Addr)
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		a.tls = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	locate := (*identity.Places)(nil).Locate
	if cfg.PlacesFile != "" {
		f, err := os.Open(cfg.PlacesFile)
		if err != nil {
			return nil, fmt.Errorf("places: %w", err)
		}
		places, err := identity.LoadPlaces(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		locate = places.Locate
	}
	cutoff, err := calendar.ParseCutoff(cfg.Cutoff, cfg.TimeZone)
	if err != nil {
		return nil, err
	}
	sv := servicing.New(d, cutoff.Today)
	pay, tokenizer, originates, err := servePayments(cfg, d, sv, cutoff, base, loopback, log, stdout)
	if err != nil {
		return nil, err
	}
	// Authenticator seeds are encrypted under the payments key ring.
	var keys *keyring.Keyring
	if k := pay.Config().Keys; k != nil {
		keys = k.Keyring
	}
	a.id, err = identity.New(identity.Config{DB: d, Params: cfg.hashParams, BaseURL: base, LenderName: cfg.Brand.Name,
		Locate: locate, Location: cutoff.Location, Limits: cfg.limits, Log: log, Keys: keys})
	if err != nil {
		return nil, err
	}
	if keys != nil {
		n, err := a.id.EncryptSeeds(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			log.Info("encrypted authenticator seeds stored in plain text", "count", n)
		}
	} else {
		log.Warn("no CARFIN_PAYMENT_KEYS: customers cannot add authenticator apps (their seeds are encrypted)")
	}
	logo, err := loadLogo(cfg.LogoFile)
	if err != nil {
		return nil, err
	}
	qs, err := newQuotes(cfg, d, sv)
	if err != nil {
		return nil, err
	}
	faq, err := support.LoadFAQ(cfg.FAQDir)
	if err != nil {
		return nil, err
	}
	checks := []webcore.ReadyCheck{webcore.DBCheck(d)}
	if cfg.Jobs {
		checks = append(checks, webcore.ReadyCheck{Name: "jobs", Check: func(context.Context) error {
			if !a.jobsUp.Load() {
				return errJobsNotRunning
			}
			return nil
		}})
	}
	a.ready = webcore.NewReadiness(webcore.ReadyCacheDefault, checks...)
	tokenizerURL := ""
	if tokenizer != nil {
		tokenizerURL = tokenizerPath + "/tokens"
	}
	portal, err := web.New(web.Config{Brand: cfg.Brand, TLS: a.secure, TrustedProxies: cfg.TrustedProxies,
		Logo: logo, MailingAddresses: cfg.MailingAddresses, BaseURL: base, CardTokenizer: tokenizerURL, Log: log, Ready: a.ready}, d, web.Capabilities{Identity: a.id,
		Servicing: sv, Quotes: qs, Profile: profile.New(d, cfg.Brand.Name), Support: support.New(d, support.Config{LenderName: cfg.Brand.Name, BaseURL: base}),
		FAQ: faq, Payments: pay})
	if err != nil {
		return nil, err
	}
	a.metrics = portal.MetricsHandler(cfg.metricsToken)
	sup := support.New(d, support.Config{LenderName: cfg.Brand.Name, BaseURL: base})
	staffConsole, err := console.New(console.Config{Brand: cfg.Brand, TLS: a.secure, TrustedProxies: cfg.TrustedProxies, Allow: cfg.StaffAllow, Log: log, Ready: a.ready,
		Metrics: portal.RequestObserver("console")},
		d, console.Capabilities{Identity: a.id, Staff: staff.New(d, a.id), Callers: callers.New(d, cfg.Brand.Name), Casefile: casefile.New(d, casefile.Config{}),
			Servicing: sv, Payments: pay, Quotes: qs, Support: sup, Notes: notes.New(d), Approvals: approvals.New(d, sv, pay, cutoff.Today),
			Complaints: complaints.New(d, cutoff.Today)})
	if err != nil {
		return nil, err
	}
	a.handler = withTokenizer(portal, tokenizer)
	if cfg.StaffAddr != "" {
		a.staff = staffConsole
	} else {
		a.handler = withStaffConsole(a.handler, staffConsole)
	}

	if cfg.Jobs {
		if err := jobs.Migrate(ctx, d); err != nil {
			return nil, err
		}
		jc := jobs.Config{Servicing: sv, Today: func() calendar.Date { return cutoff.Today(d.Now()) }, Observe: portal.ObserveJob,
			Log: log, Periodic: true, Approvals: approvals.New(d, sv, pay, cutoff.Today), RescueAfter: cfg.JobsRescueAfter}
		if jc.Statements, jc.PrintBatch, err = newStatements(cfg, d, sv); err != nil {
			return nil, err
		}
		if jc.YearEnd, err = newYearEnd(cfg, d, keys, cutoff.Location); err != nil {
			return nil, err
		}
		if originates {
			jc.Payments = pay // the day's payments run and NACHA file, after the cut-off
		}
		if a.runner, err = jobs.New(d, jc); err != nil {
			return nil, err
		}
	}

	// The public origin tells a lender's installations apart (test and
	// production send from one address), so their Message-IDs differ.
	a.sender = &notify.Sender{DB: d, Log: log, From: cfg.MailFrom, Install: a.base}
	if cfg.SMTPURL != "" {
		if a.sender.Mailer, err = notify.NewSMTP(cfg.SMTPURL, cfg.MailFrom); err != nil {
			return nil, err
		}
	} else {
		a.sender.Mailer = notify.Log{Log: log}
		log.Warn("no --smtp-url: emails are written to this log, not sent (development only)")
	}
	if cfg.SMSURL != "" {
		g, err := notify.NewSMSGateway(cfg.SMSURL, cfg.smsToken)
		if err != nil {
			return nil, fmt.Errorf("--sms-url: %w", err)
		}
		a.sender.SMS = g
	} else {
		a.sender.SMS = notify.Log{Log: log}
		log.Warn("no --sms-url: texts, sign-in and reset codes included, are written to this log, not sent (development only)")
		if !loopback {
			fmt.Fprintf(stdout, "\n*** WARNING: no SMS gateway (--sms-url): one-time codes sent by text are written ***\n"+
				"*** to the log instead. Configure the gateway before customers use it.          ***\n\n")
		}
	}
	return a, nil
}

// errJobsNotRunning is the readiness of an instance whose jobs should
// run here but have not started or have stopped.
var errJobsNotRunning = errors.New("jobs not running")

// close stops the jobs, if they were started.
func (a *app) close() { a.stopJobs() }

// serve runs the portal on ln, the metrics listener and the background
// work until ctx ends, then shuts them down gracefully.
func (a *app) serve(ctx context.Context, cfg serveConfig, ln net.Listener, stdout io.Writer) error {
	log := a.log
	var mln, sln net.Listener
	if cfg.MetricsAddr != "off" {
		var err error
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("serve: metrics: listen %s: %w", cfg.MetricsAddr, err)
		}
	}
	if a.staff != nil {
		var err error
		if sln, err = net.Listen("tcp", cfg.StaffAddr); err != nil {
			ln.Close()
			if mln != nil {
				mln.Close()
			}
			return fmt.Errorf("serve: staff console: listen %s: %w", cfg.StaffAddr, err)
		}
		if a.tls != nil {
			sln = tls.NewListener(sln, a.tls)
		}
	}
	if a.runner != nil {
		if err := a.runner.Start(ctx); err != nil {
			ln.Close()
			if mln != nil {
				mln.Close()
			}
			return fmt.Errorf("serve: jobs: %w", err)
		}
		a.jobsUp.Store(true)
		a.stopJobs = func() {
			a.jobsUp.Store(false)
			sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			if err := a.runner.Stop(sctx); err != nil {
				log.Error("stop jobs", "err", err)
			}
		}
	}
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    headerBytesMax,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
			BaseContext:       func(net.Listener) context.Context { return ctx },
		}
	}
	srv := newServer(a.handler)
	if a.tls != nil {
		srv.TLSConfig = a.tls
		ln = tls.NewListener(ln, a.tls)
	}
	servers := []*http.Server{srv}
	listeners := []net.Listener{ln}
	if mln != nil {
		servers = append(servers, newServer(a.metrics))
		listeners = append(listeners, mln)
	}
	if sln != nil {
		servers = append(servers, newServer(a.staff))
		listeners = append(listeners, sln)
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		go a.sender.Run(bg)
		t := time.NewTicker(cleanupInterval)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case <-t.C:
				if _, err := a.id.Cleanup(bg); err != nil && bg.Err() == nil {
					log.Error("session cleanup", "err", err)
				}
			}
		}
	}()

	// The console's address first: tests read the output up to the
	// "listening" line.
	if sln != nil {
		fmt.Fprintf(stdout, "carfin: staff console on %s://%s/staff/\n", map[bool]string{true: "https", false: "http"}[a.tls != nil], sln.Addr())
	} else {
		fmt.Fprintf(stdout, "carfin: staff console on %s/staff/\n", a.base)
	}
	fmt.Fprintf(stdout, "carfin: %s listening on %s (database %s)\n", cfg.Brand.Name, a.base, a.d.Engine)
	if mln != nil {
		fmt.Fprintf(stdout, "carfin: metrics on http://%s/metrics\n", mln.Addr())
	}

	// The metrics listener's first: a test that learns of the main one
	// then finds the metrics one already known (TestMetricsListener once
	// read it before it was there).
	if cfg.onMetrics != nil && mln != nil {
		cfg.onMetrics("http://" + mln.Addr().String())
	}
	if cfg.onListen != nil {
		cfg.onListen(a.base)
	}
	errc := make(chan error, len(servers))
	for i, s := range servers {
		go func() { errc <- s.Serve(listeners[i]) }()
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	a.ready.Drain() // /readyz answers 503 from now: the proxy takes this instance out
	if err == nil && cfg.DrainDelay > 0 {
		fmt.Fprintf(stdout, "carfin: draining for %s\n", cfg.DrainDelay)
		time.Sleep(cfg.DrainDelay) // still serving: requests routed before the proxy noticed are answered
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	for _, s := range servers {
		if e := s.Shutdown(sctx); err == nil {
			err = e
		}
	}
	cancel()
	stopBG()
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(stdout, "carfin: stopped")
	return nil
}

// serveGCPercent: the server's live heap is small and its garbage
// plentiful (pages, queries); 400 collects a quarter as often as Go's
// default. Password hashes no longer add to it (internal/argon2 pools
// their 19 MiB), but a pooled buffer is dropped after two collections
// without a hash, so rarer collections also keep it for the next
// sign-in. Memory stays bounded because at most GOMAXPROCS hashes run at
// once. GOGC in the environment wins.
const serveGCPercent = 400

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

// parsePrefixes parses comma-separated CIDRs or addresses.
func parsePrefixes(flagName, list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for p := range strings.SplitSeq(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if a, err := netip.ParseAddr(p); err == nil {
				p = netip.PrefixFrom(a, a.BitLen()).String()
			}
		}
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, usagef("serve: %s: %q is not a CIDR", flagName, p)
		}
		out = append(out, pre.Masked())
	}
	return out, nil
}

// requiredAddresses are the mailing addresses `serve` cannot start
// without: letters are headed by the correspondence one, and payments by
// mail go to the payments one (payoff letters use the overnight one when
// given).
var requiredAddresses = map[string]bool{"correspondence": true, "payments": true}

// missingIdentity names the lender settings left empty.
func missingIdentity(b webcore.Brand, addresses map[string]*string) []string {
	var missing []string
	for _, f := range []struct{ flag, v string }{{"--lender-name", b.Name}, {"--support-phone", b.SupportPhone}, {"--support-hours", b.SupportHours}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.flag)
		}
	}
	for _, kind := range web.MailingAddressKinds {
		if requiredAddresses[kind] && strings.Trim(*addresses[kind], " ;") == "" {
			missing = append(missing, "--address-"+kind)
		}
	}
	return missing
}

// demoIdentity is the fictional demo lender's identity, as the
// environment variables `serve` reads. Only `carfin demo` (and the tests)
// use it, through withDemoIdentity.
var demoIdentity = map[string]string{
	"CARFIN_LENDER_NAME":            webcore.DefaultBrand.Name,
	"CARFIN_SUPPORT_PHONE":          webcore.DefaultBrand.SupportPhone,
	"CARFIN_SUPPORT_HOURS":          webcore.DefaultBrand.SupportHours,
	"CARFIN_ADDRESS_CORRESPONDENCE": "Northwind Motor Finance; PO Box 4100; Columbus, OH 43216",
	"CARFIN_ADDRESS_PAYMENTS":       "Northwind Motor Finance, Payments; PO Box 4200; Columbus, OH 43216",
	"CARFIN_ADDRESS_OVERNIGHT":      "Northwind Motor Finance, Payments; 100 Harbor Way, Suite 200; Columbus, OH 43215",
}

// withDemoIdentity returns getenv with the demo lender's identity for
// the settings it leaves empty.
func withDemoIdentity(getenv func(string) string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return demoIdentity[k]
	}
}

// envInt is a number setting from the environment, 0 when unset or not a
// number (the flag's check reports a bad value).
func envInt(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// defaultMetricsAddr: Prometheus exporters listen on loopback unless told.
const defaultMetricsAddr = "127.0.0.1:9464"

// checkMetricsAddr refuses a metrics address that is not host:port, and
// a non-loopback one without a bearer token.
func checkMetricsAddr(addr, token string) error {
	if addr == "off" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("serve: --metrics-addr %q: want HOST:PORT or off", addr)
	}
	if !isLoopback(host) && token == "" {
		return usagef("serve: --metrics-addr %s is not a loopback address: set CARFIN_METRICS_TOKEN, which scrapers then send as a bearer token", addr)
	}
	if token != "" && len(token) < metricsTokenMin {
		return usagef("serve: CARFIN_METRICS_TOKEN is shorter than %d characters", metricsTokenMin)
	}
	return nil
}

// metricsTokenMin: a bearer token is a random secret, not a word.
const metricsTokenMin = 16

// logoBytesMax bounds the logo file.
const logoBytesMax = 256 << 10

// loadLogo reads the logo file; its type comes from the extension.
func loadLogo(path string) (*webcore.Logo, error) {
	if path == "" {
		return nil, nil
	}
	types := map[string]string{".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
	ct, ok := types[strings.ToLower(filepath.Ext(path))]
	if !ok {
		return nil, fmt.Errorf("logo %s: want a .png, .jpg or .svg file", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("logo: %w", err)
	}
	if len(b) > logoBytesMax {
		return nil, fmt.Errorf("logo %s: %d bytes, at most %d", path, len(b), logoBytesMax)
	}
	return &webcore.Logo{ContentType: ct, Data: b}, nil
}

// setUint32 parses v into *dst, between lo and hi.
func setUint32(dst *uint32, v string, lo, hi uint32) error {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || uint32(n) < lo || uint32(n) > hi {
		return fmt.Errorf("want a whole number from %d to %d", lo, hi)
	}
	*dst = uint32(n)
	return nil
}
