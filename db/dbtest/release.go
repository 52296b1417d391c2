package dbtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Release is the previous release of carfin, which ops/previous-release
// names: the code that may still run beside the new one during a rolling
// upgrade, and whose schema the new migrations may only expand.
type Release struct {
	Commit string // full commit hash
	Root   string // the git work tree holding it (the module's root)
}

// releaseFile is where the previous release is named, from the module root.
const releaseFile = "ops/previous-release"

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// PreviousRelease returns the release ops/previous-release names. It skips
// the test when git or the commit is not at hand (a shallow clone, a source
// archive), and fails it under CI (CI set), whose full clone of main must
// prove that a rolling upgrade works. A missing or malformed file always
// fails.
func PreviousRelease(t testing.TB) Release {
	t.Helper()
	root := moduleRoot(t)
	b, err := os.ReadFile(filepath.Join(root, releaseFile))
	if err != nil {
		t.Fatalf("the previous release: %v", err)
	}
	var commit string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		commit = strings.Fields(line)[0]
		break
	}
	if !commitRE.MatchString(commit) {
		t.Fatalf("%s: want a line starting with a full commit hash, got %q", releaseFile, commit)
	}
	r := Release{Commit: commit, Root: root}
	out, err := exec.Command("git", "-C", root, "rev-parse", "--verify", "--quiet", commit+"^{commit}").CombinedOutput()
	if err != nil {
		msg := "the previous release " + commit[:12] + " is not in this repository's history (git: " +
			strings.TrimSpace(string(out)) + " " + err.Error() + ")"
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: CI must run on a full clone of main", msg)
		}
		t.Skip(msg)
	}
	return r
}

// Git runs git in the release's work tree and returns its standard output;
// it fails the test if git fails.
func (r Release) Git(t testing.TB, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.Root}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// moduleRoot returns the directory of carfin's go.mod, above the test's
// working directory (its package's directory).
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module carfin\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no carfin go.mod above the test's directory")
		}
		dir = parent
	}
}
