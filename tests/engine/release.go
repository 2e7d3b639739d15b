package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/eventscale/eventscale/internal/release"
	"github.com/eventscale/eventscale/tests/integration"
)

// Release is an earlier release's program, ready to deploy a stack: its source (the recorded
// commit's tree) and a runner built from it (releaserunner).
type Release struct {
	release.Release
	// Src is the release's tree: its Pulumi.yaml and stack files are the ones a user of that
	// release has.
	Src string
	// Runner is releaserunner built against Src's program.
	Runner string
}

// BuildRelease returns the program of release r, built from the git history of the repository
// at root into the cache (integration.CacheDir), under a folder named by the release and a hash
// of what the build reads: the commit, releaserunner's source, this module's go.mod and go.sum and
// the Go version. A folder that exists is the finished build (it is renamed into place last).
// It fails naming the commit when the checkout does not have it (a shallow clone: `git fetch
// --unshallow`).
func BuildRelease(ctx context.Context, root string, r release.Release) (*Release, error) {
	if out, err := exec.CommandContext(ctx, "git", "-C", root, "cat-file", "-e", r.Commit+"^{commit}").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("release %s's commit %s is not in the history of %s (a shallow clone needs `git fetch --unshallow`): %v %s", r.Version, r.Commit, root, err, out)
	}
	modDir := EngineModuleDir(root)
	h := sha256.New()
	fmt.Fprintln(h, r.Commit, runtime.Version())
	for _, f := range []string{"go.mod", "go.sum", filepath.Join("releaserunner", "main.go")} {
		data, err := os.ReadFile(filepath.Join(modDir, f))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	dir := filepath.Join(integration.CacheDir(), fmt.Sprintf("release-%s-%x", r.Version, h.Sum(nil)[:6]))
	done := &Release{Release: r, Src: filepath.Join(dir, "src"), Runner: filepath.Join(dir, "releaserunner")}
	if _, err := os.Stat(done.Runner); err == nil {
		return done, nil
	}
	tmp := fmt.Sprintf("%s.tmp.%d", dir, os.Getpid())
	defer os.RemoveAll(tmp)
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := buildRelease(ctx, root, r, tmp); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(done.Runner); serr == nil {
			return done, nil // another run finished the same build first
		}
		return nil, err
	}
	return done, nil
}

// buildRelease writes release r's tree (`git archive` of its commit) to dir/src and builds
// releaserunner (this module's package) into dir/releaserunner with an alternate go.mod
// (dir/go.mod: this module's, with the root module replaced by dir/src) and this module's
// go.sum, so the build reuses the build cache for everything the release shares with the
// checkout and compiles only the release's own packages.
func buildRelease(ctx context.Context, root string, r release.Release, dir string) error {
	src := filepath.Join(dir, "src")
	var archive, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", r.Commit)
	cmd.Stdout, cmd.Stderr = &archive, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git archive %s: %v %s", r.Commit, err, stderr.String())
	}
	if err := untar(&archive, src); err != nil {
		return fmt.Errorf("release %s's tree: %w", r.Version, err)
	}
	modDir := EngineModuleDir(root)
	data, err := os.ReadFile(filepath.Join(modDir, "go.mod"))
	if err != nil {
		return err
	}
	rootReplace := regexp.MustCompile(`(?m)^replace github\.com/eventscale/eventscale => \.\./\.\.$`)
	if !rootReplace.Match(data) {
		return fmt.Errorf("%s/go.mod has no line `replace github.com/eventscale/eventscale => ../..` to point at the release", modDir)
	}
	data = rootReplace.ReplaceAll(data, []byte("replace github.com/eventscale/eventscale => "+src))
	modfile := filepath.Join(dir, "go.mod")
	if err := os.WriteFile(modfile, data, 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(modDir, "go.sum"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return err
	}
	build := exec.CommandContext(ctx, "go", "build", "-modfile="+modfile, "-mod=mod", "-buildvcs=false", "-o", filepath.Join(dir, "releaserunner"), "./releaserunner")
	build.Dir = modDir
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building release %s's program (go build -modfile): %v\n%s", r.Version, err, out)
	}
	return nil
}

// EngineModuleDir is this module's folder in the repository at root.
func EngineModuleDir(root string) string { return filepath.Join(root, "tests", "engine") }

// Up runs `pulumi up` of stack s with the release's program: the stack's own folder, backend
// and environment, as a user of the release runs it. It returns the update's summary and the
// engine's output.
func (r *Release) Up(ctx context.Context, w *World, s auto.Stack) (auto.UpdateSummary, string, error) {
	var sum auto.UpdateSummary
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, r.Runner, "-dir", s.Workspace().WorkDir(), "-stack", s.Name(), "-pulumi-root", w.Dir)
	cmd.Env = os.Environ()
	for k, v := range w.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return sum, stderr.String(), fmt.Errorf("release %s's up: %w", r.Version, err)
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		return sum, stderr.String(), fmt.Errorf("release %s's up printed %q: %w", r.Version, stdout.String(), err)
	}
	return sum, stderr.String(), nil
}

// untar writes the regular files and folders of a tar stream under dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if name == "." || strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue
		}
		path := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o755|0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
