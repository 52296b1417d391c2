package db_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
)

// Expand, then contract (issue 15). While a release rolls out, instances of
// the previous release (ops/previous-release) keep serving on the schema the
// new one migrated. So a migration added since that release may only
// expand what the release's code uses: new tables, new nullable columns or
// columns with a default, new indexes. Dropping, renaming or retyping what
// the release reads, or making its INSERTs fail (SET NOT NULL, a NOT NULL
// column without a default), waits for a later release, once no instance
// runs code that uses it; such a contract migration says so on a line
// "-- contract: <what> unused since release <hash>", naming the previous
// release or an earlier one. Migrations the release shipped are never
// edited: a database that ran them does not run them again.
//
// The rule reads the PostgreSQL text of each migration's Up section: only
// PostgreSQL serves several instances at once (SQLite has one process, and
// rebuilds a table where PostgreSQL alters it).

// migrationFile is one migration: its file name and its text as written
// (tokens, both engines' sections).
type migrationFile struct{ name, text string }

// contractRE finds a contract migration's marker and the release it names.
var contractRE = regexp.MustCompile(`(?m)^--\s*contract:.*\bsince release ([0-9a-f]{7,40})\b`)

// tagRE finds a dollar quote's tag, $$ or $name$.
var tagRE = regexp.MustCompile(`\$[A-Za-z_]*\$`)

// TestMigrationsExpandThenContract applies the rule to the migrations
// added since the previous release.
func TestMigrationsExpandThenContract(t *testing.T) {
	rel := dbtest.PreviousRelease(t)
	released := releasedMigrations(t, rel)
	if len(released) == 0 {
		t.Fatalf("the previous release %s has no migrations in db/migrations", rel.Commit[:12])
	}
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var current []migrationFile
	for _, e := range entries {
		b, err := os.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		current = append(current, migrationFile{e.Name(), string(b)})
	}
	atOrBefore := func(commit string) bool {
		// Exit 0: commit is the release or one of its ancestors.
		return exec.Command("git", "-C", rel.Root, "merge-base", "--is-ancestor", commit, rel.Commit).Run() == nil
	}
	problems := compatProblems(released, current, atOrBefore)
	for _, p := range problems {
		t.Errorf("%s (previous release %s)", p, rel.Commit[:12])
	}
	t.Logf("%d migrations at the previous release %s, %d now", len(released), rel.Commit[:12], len(current))
}

// releasedMigrations returns the migration files of the release's commit.
func releasedMigrations(t *testing.T, rel dbtest.Release) []migrationFile {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(rel.Git(t, "archive", "--format=tar", rel.Commit, "db/migrations")))
	var out []migrationFile
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, ".sql") {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, migrationFile{path.Base(h.Name), string(b)})
	}
	return out
}

// compatProblems returns what in current, the migrations now, would break
// the code of the release whose migrations were released: a released
// migration changed or removed, and a statement of an added one that
// shrinks the released schema, unless the migration is a contract whose
// marker names a release atOrBefore says is the previous release or
// earlier.
func compatProblems(released, current []migrationFile, atOrBefore func(commit string) bool) []string {
	var problems []string
	now := map[string]string{}
	for _, m := range current {
		now[m.name] = m.text
	}
	s := schema{tables: map[string]bool{}, added: map[string]map[string]bool{}}
	isReleased := map[string]bool{}
	for _, m := range sortedByName(released) {
		isReleased[m.name] = true
		text, ok := now[m.name]
		switch {
		case !ok:
			problems = append(problems, m.name+": removed since the release (a database that ran it keeps its schema)")
		case text != m.text:
			problems = append(problems, m.name+": changed since the release (a database that ran it does not run it again)")
		}
		s.release(upStatements(m.text))
	}
	for _, m := range sortedByName(current) {
		if isReleased[m.name] {
			continue
		}
		found := s.expand(upStatements(m.text))
		marker := contractRE.FindStringSubmatch(m.text)
		switch {
		case marker != nil && !atOrBefore(marker[1]):
			problems = append(problems, fmt.Sprintf("%s: its contract marker names release %s, which is not the previous release or earlier: "+
				"instances of the previous release may still use what it contracts", m.name, marker[1]))
		case marker != nil:
			// A contract: what it drops is unused since that release.
		default:
			for _, f := range found {
				problems = append(problems, fmt.Sprintf("%s: %s; expand now and contract in a later release "+
					"(a migration marked \"-- contract: … unused since release <hash>\")", m.name, f))
			}
		}
	}
	return problems
}

func sortedByName(ms []migrationFile) []migrationFile {
	out := slices.Clone(ms)
	slices.SortFunc(out, func(a, b migrationFile) int { return strings.Compare(a.name, b.name) })
	return out
}

// schema is what the rule knows of the schema: the tables of the released
// code, and the columns added to them since, which that code never uses.
type schema struct {
	tables map[string]bool
	added  map[string]map[string]bool // table → columns added since the release
}

// release records the tables a released migration leaves.
func (s *schema) release(stmts []string) {
	for _, st := range stmts {
		f := strings.Fields(st)
		switch {
		case hasWords(f, "create", "table"):
			s.tables[tableName(f[2:])] = true
		case hasWords(f, "drop", "table"):
			for _, n := range droppedTables(f[2:]) {
				delete(s.tables, n)
			}
		case hasWords(f, "alter", "table"):
			t, actions := alterTable(f[2:])
			for _, a := range actions {
				if a := strings.Fields(a); hasWords(a, "rename", "to") && len(a) > 2 && s.tables[t] {
					delete(s.tables, t)
					s.tables[unquote(a[2])] = true
				}
			}
		}
	}
}

// expand returns what an added migration's statements do to the released
// schema that its code would not survive, and records what they add.
func (s *schema) expand(stmts []string) []string {
	var found []string
	notNull := map[string]bool{} // table.column set NOT NULL
	defaults := map[string]bool{}
	for _, st := range stmts {
		f := strings.Fields(st)
		switch {
		case hasWords(f, "drop", "table"):
			for _, n := range droppedTables(f[2:]) {
				if s.tables[n] {
					found = append(found, "drops table "+n)
					delete(s.tables, n)
				}
			}
		case hasWords(f, "alter", "table"):
			t, actions := alterTable(f[2:])
			if !s.tables[t] {
				continue // a table added since the release, or none the release knows
			}
			for _, a := range actions {
				found = append(found, s.alter(t, strings.Fields(a), notNull, defaults)...)
			}
		}
	}
	for tc := range notNull {
		if !defaults[tc] {
			found = append(found, "sets "+tc+" NOT NULL without a default")
		}
	}
	slices.Sort(found)
	return found
}

// alter judges one action of ALTER TABLE t on a released table.
func (s *schema) alter(t string, a []string, notNull, defaults map[string]bool) []string {
	if len(a) < 2 {
		return nil
	}
	verb, rest := a[0], a[1:]
	if rest[0] == "constraint" {
		return nil // constraints: ADD may narrow what is allowed, but never what exists
	}
	switch verb {
	case "add":
		if slices.Contains([]string{"primary", "unique", "check", "foreign", "exclude"}, rest[0]) {
			return nil
		}
		rest = skipWords(rest, "column")
		rest = skipWords(rest, "if", "not", "exists")
		col := unquote(rest[0])
		if s.added[t] == nil {
			s.added[t] = map[string]bool{}
		}
		s.added[t][col] = true
		def := " " + topLevel(strings.Join(rest[1:], " ")) + " "
		if strings.Contains(def, " not null ") && !strings.Contains(def, " default ") && !strings.Contains(def, " generated ") {
			return []string{"adds " + t + "." + col + " NOT NULL without a default (the previous release's INSERTs leave it out)"}
		}
	case "drop":
		col := unquote(skipWords(skipWords(rest, "column"), "if", "exists")[0])
		if !s.added[t][col] {
			return []string{"drops column " + t + "." + col}
		}
	case "rename":
		if rest[0] == "to" && len(rest) > 1 {
			return []string{"renames table " + t + " to " + unquote(rest[1])}
		}
		col := unquote(skipWords(rest, "column")[0])
		if !s.added[t][col] {
			return []string{"renames column " + t + "." + col}
		}
	case "alter":
		rest = skipWords(rest, "column")
		col, op := unquote(rest[0]), " "+strings.Join(rest[1:], " ")+" "
		switch {
		case s.added[t][col]:
		case strings.HasPrefix(op, " type ") || strings.HasPrefix(op, " set data type "):
			return []string{"changes the type of " + t + "." + col}
		case strings.HasPrefix(op, " set not null "):
			notNull[t+"."+col] = true
		case strings.HasPrefix(op, " set default "):
			defaults[t+"."+col] = true
		}
	}
	return nil
}

// hasWords reports whether f starts with words.
func hasWords(f []string, words ...string) bool {
	return len(f) > len(words) && slices.Equal(f[:len(words)], words)
}

// skipWords returns f without its leading words, if it starts with them.
func skipWords(f []string, words ...string) []string {
	if hasWords(f, words...) {
		return f[len(words):]
	}
	return f
}

// tableName is the table of "[IF NOT EXISTS] name (…": unquoted, without
// its schema.
func tableName(f []string) string {
	f = skipWords(f, "if", "not", "exists")
	name, _, _ := strings.Cut(f[0], "(")
	return unquote(name)
}

// droppedTables are the names of "[IF EXISTS] a, b [CASCADE]".
func droppedTables(f []string) []string {
	f = skipWords(f, "if", "exists")
	var out []string
	for n := range strings.SplitSeq(strings.Join(f, " "), ",") {
		if w := strings.Fields(n); len(w) > 0 {
			out = append(out, unquote(w[0]))
		}
	}
	return out
}

// alterTable splits "[IF EXISTS] [ONLY] t action, action…" into the table
// and its actions.
func alterTable(f []string) (string, []string) {
	f = skipWords(skipWords(f, "if", "exists"), "only")
	if len(f) < 2 {
		return "", nil
	}
	return unquote(f[0]), splitTop(strings.Join(f[1:], " "), ',')
}

// unquote drops a name's quotes and schema.
func unquote(name string) string {
	name = strings.ReplaceAll(name, `"`, "")
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// upStatements returns the statements of a migration's Up section as
// PostgreSQL runs them, comments and function bodies removed, lower case,
// one space between words.
func upStatements(text string) []string {
	up, _, _ := strings.Cut(db.MigrationText(text, db.Postgres), "-- +goose Down")
	var b strings.Builder
	for line := range strings.Lines(up) {
		line, _, _ = strings.Cut(line, "--")
		b.WriteString(line + "\n")
	}
	var out []string
	for _, st := range splitTop(withoutDollarQuotes(b.String()), ';') {
		if st = strings.Join(strings.Fields(strings.ToLower(st)), " "); st != "" {
			out = append(out, st)
		}
	}
	return out
}

// withoutDollarQuotes replaces each $tag$…$tag$ string (a function's body)
// with an empty string.
func withoutDollarQuotes(s string) string {
	var b strings.Builder
	for {
		loc := tagRE.FindStringIndex(s)
		if loc == nil {
			return b.String() + s
		}
		tag := s[loc[0]:loc[1]]
		end := strings.Index(s[loc[1]:], tag)
		if end < 0 {
			return b.String() + s
		}
		b.WriteString(s[:loc[0]] + "''")
		s = s[loc[1]+end+len(tag):]
	}
}

// splitTop splits s at sep outside parentheses and quotes, trimmed, the
// empty parts dropped.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, quote, start := 0, byte(0), 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	out = append(out, s[start:])
	var kept []string
	for _, p := range out {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return kept
}

// topLevel returns s without what is inside parentheses (a CHECK's IS NOT
// NULL is not the column's NOT NULL).
func topLevel(s string) string {
	var b strings.Builder
	depth := 0
	for _, c := range s {
		switch {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// TestCompatProblems: the rule on sample migrations, against a released
// schema of contracts and sessions.
func TestCompatProblems(t *testing.T) {
	const release = "4e05e143dff63443853a2fa5e9673e6b377095c2"
	released := []migrationFile{
		{"00001_contracts.sql", `-- +goose Up
CREATE TABLE contracts (
    id    {{pk}},
    vin   TEXT NOT NULL CHECK (length(vin) = 17),
    note  TEXT
);
CREATE TABLE IF NOT EXISTS "sessions" (token TEXT PRIMARY KEY, created_at {{timestamp}} NOT NULL);
CREATE TABLE scratch (id {{pk}});
-- +goose Down
DROP TABLE sessions;
DROP TABLE contracts;
`},
		{"00002_scratch_gone.sql", "-- +goose Up\nDROP TABLE scratch;\n-- +goose Down\nCREATE TABLE scratch (id {{pk}});\n"},
	}
	atOrBefore := func(commit string) bool { return strings.HasPrefix(release, commit) || commit == "1111111" }
	up := func(sql string) string { return "-- +goose Up\n" + sql + "\n-- +goose Down\nSELECT 1;\n" }
	for _, tc := range []struct {
		name  string
		added []string // files 00010_…, 00011_…, in order
		want  []string // what each problem contains, in order; none: no problem
	}{
		{name: "new table, its index, and its drop in Down", added: []string{
			up("CREATE TABLE payments (id {{pk}}, contract_id BIGINT NOT NULL REFERENCES contracts (id));\nCREATE INDEX payments_contract ON payments (contract_id);")}},
		{name: "nullable column and columns with a default", added: []string{
			up("ALTER TABLE contracts ADD COLUMN closed_at {{timestamp}};\nALTER TABLE contracts ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed'));")}},
		{name: "a CHECK's IS NOT NULL is not the column's", added: []string{
			up("ALTER TABLE contracts ADD COLUMN a TEXT CHECK (a IS NOT NULL OR note IS NULL);")}},
		{name: "constraints dropped and added", added: []string{
			up("ALTER TABLE contracts DROP CONSTRAINT contracts_vin_check;\nALTER TABLE contracts ADD CONSTRAINT contracts_vin_check CHECK (length(vin) >= 11);")}},
		{name: "a table added since is dropped, renamed, altered", added: []string{
			up("CREATE TABLE limits (k TEXT, n INTEGER);"),
			up("ALTER TABLE limits ALTER COLUMN n TYPE BIGINT;\nALTER TABLE limits RENAME COLUMN k TO key;\nALTER TABLE limits RENAME TO limits2;"),
			up("DROP TABLE limits2;")}},
		{name: "a column added since is dropped and retyped", added: []string{
			up("ALTER TABLE contracts ADD COLUMN tmp TEXT;"),
			up("ALTER TABLE contracts ALTER COLUMN tmp TYPE BIGINT USING 0, ALTER COLUMN tmp SET NOT NULL;\nALTER TABLE contracts DROP COLUMN tmp;")}},
		{name: "a table the release dropped", added: []string{up("DROP TABLE IF EXISTS scratch;")}},
		{name: "a rebuild for SQLite only", added: []string{
			up("-- +carfin sqlite\nCREATE TABLE sessions_new (token TEXT PRIMARY KEY);\nDROP TABLE sessions;\nALTER TABLE sessions_new RENAME TO sessions;\n-- +carfin end")}},
		{name: "drops only in comments and function bodies", added: []string{
			up("-- DROP TABLE contracts; was considered\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS trigger AS $$ BEGIN DROP TABLE contracts; END $$ LANGUAGE plpgsql;\n-- +goose StatementEnd")}},

		{name: "drop table", added: []string{up("DROP TABLE contracts;")}, want: []string{"00010_m.sql: drops table contracts"}},
		{name: "drop tables, quoted and qualified", added: []string{up(`DROP TABLE IF EXISTS public."sessions", contracts CASCADE;`)},
			want: []string{"drops table contracts", "drops table sessions"}},
		{name: "drop column", added: []string{up("ALTER TABLE contracts DROP COLUMN note;")}, want: []string{"drops column contracts.note"}},
		{name: "drop column without the word", added: []string{up(`ALTER TABLE ONLY contracts ADD COLUMN x TEXT, DROP IF EXISTS "note";`)},
			want: []string{"drops column contracts.note"}},
		{name: "rename column", added: []string{up("ALTER TABLE contracts RENAME COLUMN vin TO vehicle_vin;")}, want: []string{"renames column contracts.vin"}},
		{name: "rename table", added: []string{up("ALTER TABLE IF EXISTS sessions RENAME TO portal_sessions;")},
			want: []string{"renames table sessions to portal_sessions"}},
		{name: "column type", added: []string{up("ALTER TABLE contracts ALTER COLUMN vin TYPE VARCHAR(17);")}, want: []string{"changes the type of contracts.vin"}},
		{name: "column data type", added: []string{up("ALTER TABLE contracts ALTER note SET DATA TYPE BYTEA USING note::bytea;")},
			want: []string{"changes the type of contracts.note"}},
		{name: "set not null", added: []string{up("ALTER TABLE contracts ALTER COLUMN note SET NOT NULL;")}, want: []string{"sets contracts.note NOT NULL without a default"}},
		{name: "set not null with a default", added: []string{up("UPDATE contracts SET note = '' WHERE note IS NULL;\nALTER TABLE contracts ALTER COLUMN note SET DEFAULT '', ALTER COLUMN note SET NOT NULL;")}},
		{name: "not null column without a default", added: []string{up("ALTER TABLE sessions ADD COLUMN realm TEXT NOT NULL;")},
			want: []string{"adds sessions.realm NOT NULL without a default"}},
		{name: "in the PostgreSQL section", added: []string{up("-- +carfin postgres\nALTER TABLE sessions DROP COLUMN created_at;\n-- +carfin end")},
			want: []string{"drops column sessions.created_at"}},
		{name: "a later migration", added: []string{up("SELECT 1;"), up("ALTER TABLE contracts DROP COLUMN vin;")}, want: []string{"00011_m.sql: drops column contracts.vin"}},

		{name: "contract naming the previous release", added: []string{"-- contract: note unused since release 4e05e14\n" + up("ALTER TABLE contracts DROP COLUMN note;")}},
		{name: "contract naming an earlier release", added: []string{"-- contract: sessions unused since release 1111111\n" + up("DROP TABLE sessions;")}},
		{name: "contract naming a later release", added: []string{"-- contract: note unused since release 2222222\n" + up("ALTER TABLE contracts DROP COLUMN note;")},
			want: []string{"names release 2222222, which is not the previous release or earlier"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			current := slices.Clone(released)
			for i, text := range tc.added {
				current = append(current, migrationFile{fmt.Sprintf("%05d_m.sql", 10+i), text})
			}
			got := compatProblems(released, current, atOrBefore)
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant %d: %q", strings.Join(got, "\n"), len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d: %s\nwant it to contain %q", i, got[i], w)
				}
			}
		})
	}
	t.Run("released migrations are never edited", func(t *testing.T) {
		edited := []migrationFile{{released[0].name, strings.Replace(released[0].text, "note  TEXT", "note  TEXT NOT NULL DEFAULT ''", 1)}}
		got := compatProblems(released, edited, atOrBefore)
		want := []string{"00001_contracts.sql: changed since the release", "00002_scratch_gone.sql: removed since the release"}
		if len(got) != 2 || !strings.HasPrefix(got[0], want[0]) || !strings.HasPrefix(got[1], want[1]) {
			t.Errorf("problems:\n%s\nwant %q", strings.Join(got, "\n"), want)
		}
	})
}

// TestMigrateOnNewerSchema: an older carfin starts on a schema a newer one
// migrated (a rolling upgrade's old instances): Migrate applies what it
// lacks of its own migrations, never undoes the newer ones, and
// MigrationStatus and SchemaStatus show the schema ahead of the code. On
// both engines.
func TestMigrateOnNewerSchema(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		_, newest, err := d.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Two releases ahead: migrations this code does not know, above
		// its newest and between its own.
		future := []int64{newest + 1, newest + 100, 99}
		if _, err := d.SQL.ExecContext(ctx, `CREATE TABLE future_things (id BIGINT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		for _, v := range future {
			if _, err := d.SQL.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, v); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := d.Migrate(ctx); err != nil {
				t.Fatalf("migrate on a newer schema: %v", err)
			}
		}
		var n int
		if err := d.SQL.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id IN ($1, $2, $3)`,
			future[0], future[1], future[2]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(future) {
			t.Errorf("%d of the newer versions left, want all %d", n, len(future))
		}
		if _, err := d.SQL.ExecContext(ctx, `INSERT INTO future_things (id) VALUES (1)`); err != nil {
			t.Errorf("the newer migration's table: %v", err)
		}
		cur, _, err := d.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cur != future[1] {
			t.Errorf("schema version %d, want %d (ahead of this code's %d)", cur, future[1], newest)
		}
		pending, unknown, err := d.SchemaStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{99, newest + 1, newest + 100}; len(pending) != 0 || !slices.Equal(unknown, want) {
			t.Errorf("SchemaStatus: pending %v, unknown %v; want none pending and %v unknown", pending, unknown, want)
		}
		// One of this code's own migrations unrecorded (a database where
		// it never ran): pending, whatever the highest version.
		if _, err := d.SQL.ExecContext(ctx, `DELETE FROM goose_db_version WHERE version_id = 1`); err != nil {
			t.Fatal(err)
		}
		if pending, _, err = d.SchemaStatus(ctx); err != nil || !slices.Equal(pending, []int64{1}) {
			t.Errorf("SchemaStatus with migration 1 unrecorded: pending %v (%v), want [1]", pending, err)
		}
	})
}
