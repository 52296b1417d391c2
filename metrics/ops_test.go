package metrics

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"carfin/db/dbtest"
	"carfin/webcore"
)

// The operators' files: the Grafana dashboard and the Prometheus alert
// rules (with their unit tests, ops/alerts_test.yml).
const (
	dashboardFile = "../ops/grafana-dashboard.json"
	alertsFile    = "../ops/alerts.yml"
	alertTests    = "../ops/alerts_test.yml"
)

// ruleFile is the Prometheus rule file format; unknown fields are errors.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// dashboard is what this test reads of a Grafana dashboard.
type dashboard struct {
	UID    string `json:"uid"`
	Title  string `json:"title"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		GridPos struct {
			H, W, X, Y int
		} `json:"gridPos"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
	} `json:"panels"`
}

// metricName finds the metric names in an expression or a text.
var metricName = regexp.MustCompile(`\b(?:carfin|go|process)_[a-z0-9_]+\b`)

// TestOpsFiles: the dashboard is Grafana JSON whose panels all query, the
// alert rules parse, each has a severity and a summary, and every metric
// either names is one carfin serves (so a renamed metric fails here, not
// silently on the operators' screens). With promtool installed (Debian's
// prometheus package), the rules and the dashboard's queries are also
// checked by it and the alert unit tests run.
func TestOpsFiles(t *testing.T) {
	served := servedNames(t)

	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash dashboard
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) == 0 {
		t.Fatalf("%s: no uid, title or panels", dashboardFile)
	}
	var exprs []string
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W == 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: grid position %+v", p.Title, p.GridPos)
		}
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			exprs = append(exprs, q.Expr)
		}
	}

	rules := readRules(t)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("group %s: rule %q lacks an alert name, expression, severity or summary", g.Name, r.Alert)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			exprs = append(exprs, r.Expr)
		}
	}

	for _, name := range metricName.FindAllString(string(raw)+"\n"+strings.Join(exprs, "\n"), -1) {
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if s, ok := strings.CutSuffix(name, suffix); ok && served[s] {
				base = s
			}
		}
		if !served[base] {
			t.Errorf("the dashboard or the alerts use %s, which carfin does not serve", name)
		}
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("no promtool: the rules were parsed, not checked by Prometheus")
		return
	}
	// The dashboard's queries, with Grafana's variables given values, as
	// recording rules, so promtool parses them too.
	var rec strings.Builder
	rec.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	grafana := strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*", "$job", ".*")
	for i, e := range exprs[:len(exprs)-countRules(rules)] {
		q, err := json.Marshal(grafana.Replace(e))
		if err != nil {
			t.Fatal(err)
		}
		rec.WriteString("      - record: dashboard:q" + strings.Repeat("x", i+1) + "\n        expr: " + string(q) + "\n")
	}
	recFile := filepath.Join(t.TempDir(), "dashboard.yml")
	if err := os.WriteFile(recFile, []byte(rec.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "rules", alertsFile}, {"check", "rules", recFile}, {"test", "rules", alertTests}} {
		if out, err := exec.Command(promtool, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func readRules(t *testing.T) ruleFile {
	t.Helper()
	f, err := os.Open(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rules ruleFile
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	if countRules(rules) == 0 {
		t.Fatalf("%s: no rules", alertsFile)
	}
	return rules
}

func countRules(r ruleFile) int {
	n := 0
	for _, g := range r.Groups {
		n += len(g.Rules)
	}
	return n
}

// servedNames returns the names of every metric family carfin serves:
// those gathered, and those the database collector describes (some are
// only gathered once their events happen).
func servedNames(t *testing.T) map[string]bool {
	t.Helper()
	r := New()
	r.Observe("GET", "GET /{$}", 200, time.Millisecond)
	r.Observe("GET", webcore.ShedRoutePrefix+"pages", 503, time.Millisecond)
	r.ObserveJob("day_close", false, time.Second)
	r.WatchDB(dbtest.SQLite(t))
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	ch := make(chan *prometheus.Desc, 64)
	go func() { r.db.Describe(ch); close(ch) }()
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		if m := fq.FindStringSubmatch(d.String()); m != nil {
			names[m[1]] = true
		}
	}
	return names
}
