package reference

import (
	"bufio"
	"bytes"
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/eventscale/eventscale/internal/stacktest"
)

// readers lists, for one file, the places that name ../shared: in Go source a string literal
// that is the path element "shared" or holds "../shared" or "shared/reference" (comments and
// other strings are prose); in a shell script, makefile or workflow a line, outside a comment,
// that holds either path.
func readers(name string, src []byte) []string {
	var found []string
	names := func(s string) bool {
		return s == "shared" || strings.Contains(s, "../shared") || strings.Contains(s, "shared/reference")
	}
	if strings.HasSuffix(name, ".go") {
		fset := token.NewFileSet()
		var s scanner.Scanner
		s.Init(fset.AddFile(name, -1, len(src)), src, nil, 0)
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok != token.STRING {
				continue
			}
			if v, err := strconv.Unquote(lit); err == nil && names(v) {
				found = append(found, fset.Position(pos).String()+": "+lit)
			}
		}
		return found
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, "../shared") || strings.Contains(line, "shared/reference") {
			found = append(found, name+":"+strconv.Itoa(n)+": "+line)
		}
	}
	return found
}

// scanned says whether a repository file is code that could read a path: Go, shell, make,
// the CI entry point and the workflows. Prose (Markdown) may name the folder.
func scanned(rel string) bool {
	base := filepath.Base(rel)
	switch {
	case strings.HasSuffix(rel, ".go"), strings.HasSuffix(rel, ".sh"), strings.HasSuffix(rel, ".mk"),
		base == "Makefile", rel == ".ci/run", strings.HasPrefix(rel, ".github/"):
		return true
	}
	return false
}

// repoFiles lists the repository's files as git sees them: tracked, and untracked but not
// ignored (what a commit could add). Outside a git checkout (a source archive) it walks the
// tree instead, leaving out what .gitignore names as build output.
func repoFiles(t *testing.T, root string) []string {
	t.Helper()
	files, err := gitFiles(root)
	if err != nil {
		files, err = walkFiles(root) // not a git checkout
	}
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// gitFiles is `git ls-files` of root's checkout: tracked files, and untracked ones not ignored.
func gitFiles(root string) ([]string, error) {
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "-z").Output()
	var files []string
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, err
}

// walkFiles lists every file under root but in .git and the ignored output folders (.cache,
// out, node_modules).
func walkFiles(root string) ([]string, error) {
	var files []string
	// fs.WalkDir over os.DirFS gives the slash paths relative to root that git ls-files gives.
	err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && slices.Contains([]string{".git", ".cache", "out", "node_modules"}, d.Name()):
			return fs.SkipDir
		case !d.IsDir():
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

// Nothing but this package names ../shared: a user's clone has no such folder, so every read of
// it must go through Path or Read, which skip when it is absent. A new reader elsewhere (a tier
// that joins the path itself and fails without it) fails here, in every clone.
func TestNoOtherReader(t *testing.T) {
	t.Parallel()
	root := stacktest.Root()
	files := repoFiles(t, root)
	n := 0
	for _, rel := range files {
		rel = filepath.ToSlash(rel)
		if !scanned(rel) || strings.HasPrefix(rel, "internal/reference/") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if os.IsNotExist(err) {
			continue // deleted in the working tree, not yet in a commit
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, r := range readers(rel, src) {
			t.Errorf("%s names ../shared: read it with reference.Path or reference.Read (github.com/eventscale/eventscale/internal/reference), which skip where it is absent", r)
		}
	}
	if n < 100 {
		t.Fatalf("scanned %d files of %d listed, want the repository's code (over 100 files)", n, len(files))
	}
}

// The scan finds each way a tier has joined the path, and leaves prose and other strings alone.
func TestReadersFindsThePath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, src string
		want      int
	}{
		{"join.go", `package x; var p = filepath.Join(root, "..", "shared", "reference", "crds")`, 1},
		{"literal.go", "package x; var p = `../shared/reference/crds`", 1},
		{"sub.go", `package x; var p = root + "/shared/reference"`, 1},
		{"comment.go", "package x\n// CRDs as in ../shared/reference/crds\nvar arn = \"arn:aws:sns:us-west-2:1:shared-alarms\"", 0},
		{"build.sh", "#!/bin/sh\n# not ../shared\ncp ../shared/reference/x .\n", 1},
		{"a.mk", "REF := $(CURDIR)/../shared/reference\n", 1},
		{"b.mk", "# reads nothing from shared/reference\n", 0},
	} {
		if got := readers(c.name, []byte(c.src)); len(got) != c.want {
			t.Errorf("%s: found %d (%q), want %d", c.name, len(got), got, c.want)
		}
	}
}

// skipRecorder is a testing.TB that records Skipf and Fatalf instead of ending the test.
type skipRecorder struct {
	testing.TB
	skipped, fatal string
}

func (r *skipRecorder) Helper()      {}
func (r *skipRecorder) Name() string { return "TestSomething" }
func (r *skipRecorder) Skipf(format string, args ...any) {
	r.skipped = strings.TrimSpace(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *skipRecorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *skipRecorder) Fatal(args ...any) {
	r.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}

// A file that is absent skips, naming the test, the path, what is skipped and how to enable it;
// one that exists is returned.
func TestPathSkipsWhenAbsent(t *testing.T) {
	t.Parallel()
	r := &skipRecorder{TB: t}
	var got string
	var wg sync.WaitGroup
	wg.Go(func() { got = Path(r, "no-such-dir/file.yaml", "a comparison with an upstream copy") })
	wg.Wait()
	if got != "" || r.fatal != "" {
		t.Fatalf("Path returned %q, fatal %q: want a skip", got, r.fatal)
	}
	for _, want := range []string{"skipping TestSomething", "a comparison with an upstream copy",
		filepath.Join(Root(), "no-such-dir", "file.yaml"), "../shared/reference/no-such-dir/file.yaml", "To run this test"} {
		if !strings.Contains(r.skipped, want) {
			t.Errorf("skip message %q lacks %q", r.skipped, want)
		}
	}
	if filepath.Base(Root()) != "reference" || filepath.Base(filepath.Dir(Root())) != "shared" {
		t.Errorf("Root() = %s, want <repository>/../shared/reference", Root())
	}
	if _, err := os.Stat(filepath.Join(stacktest.Root(), "go.mod")); err != nil {
		t.Errorf("stacktest.Root() = %s holds no go.mod: %v", stacktest.Root(), err)
	}
}

// Outside a git checkout the walk finds the same code files git lists.
func TestWalkFilesFindsWhatGitLists(t *testing.T) {
	t.Parallel()
	root := stacktest.Root()
	listed, gitErr := gitFiles(root)
	walked, walkErr := walkFiles(root)
	switch {
	case gitErr != nil:
		t.Skipf("%s is not a git checkout (%v): nothing to compare the walk with", root, gitErr)
	case walkErr != nil:
		t.Fatal(walkErr)
	}
	for _, f := range listed {
		if f = filepath.ToSlash(f); scanned(f) && !slices.Contains(walked, f) {
			if _, err := os.Stat(filepath.Join(root, f)); err == nil {
				t.Errorf("%s: listed by git, not found by the walk", f)
			}
		}
	}
}
