package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeployTargetsRequireTheirTools runs `make preview|up|destroy` with a PATH that holds only
// stand-in commands (scripts that record their arguments), so the result does not depend on what
// this machine has installed: a missing Pulumi CLI, Go, AWS CLI or kubectl (pulumi-eks checks the
// last two before it creates a cluster) stops the target before Pulumi runs, naming the tool; with
// all four present the target runs pulumi with the stack.
func TestDeployTargetsRequireTheirTools(t *testing.T) {
	t.Parallel()
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make is required: %v", err)
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"pulumi", "go", "aws", "kubectl"}
	minGo := goModVersion(t, filepath.Join(repo, "go.mod"))
	cases := []struct {
		target  string
		present []string
		goVer   string   // what the stand-in go reports; "" is go.mod's version
		want    []string // substrings of the output
		runs    bool     // pulumi is invoked
	}{
		{"preview", []string{"pulumi", "go", "kubectl"}, "", []string{"the AWS CLI v2 (aws) is required", "aws eks get-token"}, false},
		{"up", []string{"go", "aws", "kubectl"}, "", []string{"the Pulumi CLI (v3.274.1 or newer) is required"}, false},
		{"destroy", []string{"pulumi", "aws", "kubectl"}, "", []string{"Go " + minGo + " or newer (go) is required"}, false},
		{"preview", []string{"pulumi", "go", "aws"}, "", []string{"kubectl (1.24 or newer) is required"}, false},
		{"preview", nil, "", []string{"Pulumi CLI", "Go " + minGo, "AWS CLI", "kubectl"}, false},
		// GOTOOLCHAIN=local: a go older than go.mod's line cannot build the program.
		{"up", all, "1.26.0", []string{"Go " + minGo + " or newer is required", "go is Go 1.26.0"}, false},
		{"up", all, "1.25.9", []string{"go is Go 1.25.9"}, false},
		{"preview", all, "", []string{"pulumi preview --stack dev --diff"}, true},
		{"preview", all, "1.27.1", []string{"pulumi preview --stack dev --diff"}, true},
		{"destroy", all, "", []string{"pulumi destroy --stack dev"}, true},
	}
	for _, c := range cases {
		bin := t.TempDir()
		log := filepath.Join(t.TempDir(), "calls")
		// awk is used while make reads its fragments; it is not one of the tools under test.
		if awk, err := exec.LookPath("awk"); err == nil {
			if err := os.Symlink(awk, filepath.Join(bin, "awk")); err != nil {
				t.Fatal(err)
			}
		}
		goVer := c.goVer
		if goVer == "" {
			goVer = minGo
		}
		for _, tool := range c.present {
			script := "#!/bin/sh\necho \"" + tool + " $*\" >> " + log + "\n"
			if tool == "go" {
				script += "[ \"$1\" = version ] && echo \"go version go" + goVer + " linux/amd64\"\nexit 0\n"
			}
			if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(makeBin, "--no-print-directory", "-C", repo, c.target, "STACK=dev")
		cmd.Env = []string{"PATH=" + bin, "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		calls, _ := os.ReadFile(log)
		name := c.target + " with " + strings.Join(c.present, ",") + " (go " + goVer + ")"
		if c.runs != (err == nil) {
			t.Errorf("%s: exit error %v, want success %v; output:\n%s", name, err, c.runs, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: output lacks %q:\n%s", name, w, out)
			}
		}
		if ranPulumi := strings.Contains(string(calls), "pulumi "+c.target); ranPulumi != c.runs {
			t.Errorf("%s: pulumi ran = %v (calls %q), want %v", name, ranPulumi, calls, c.runs)
		}
	}
}

// goModVersion is the go line of a go.mod: the oldest Go that builds the module.
func goModVersion(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%s has no go line", path)
	return ""
}
