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
	makeBin, repo := makeInRepo(t)
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

// TestDemoNetnsNamesTheAppArmorSysctl runs `make demo-netns` (and `make test-demo`) with a
// stand-in unshare first on PATH that fails as util-linux's does when the kernel refuses the
// namespace: "unshare: unshare failed: Operation not permitted" and exit status 1
// (util-linux sys-utils/unshare.c, err(EXIT_FAILURE, _("unshare failed"))). DEMO_UNSHARE_ARGS and
// DEMO_USERNS_SYSCTL stand in for the user (root or not) and for
// /proc/sys/kernel/apparmor_restrict_unprivileged_userns, so the result does not depend on this
// machine. Where AppArmor's restriction is on, the message names the sysctl and the command
// that lifts it; where it is off or absent, it says AppArmor is not the cause; test-demo stops
// there before it builds anything.
func TestDemoNetnsNamesTheAppArmorSysctl(t *testing.T) {
	t.Parallel()
	makeBin, repo := makeInRepo(t)
	const (
		user   = "DEMO_UNSHARE_ARGS=--net --map-root-user"
		root   = "DEMO_UNSHARE_ARGS=--net"
		denied = "unshare: unshare failed: Operation not permitted"
		lift   = "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
	)
	cases := []struct {
		name    string
		target  string
		args    string
		sysctl  string // the stand-in sysctl file's content; "" is no file
		fails   bool   // the stand-in unshare fails
		want    []string
		notWant []string
	}{
		{"restricted", "demo-netns", user, "1\n", true,
			[]string{"'unshare --net --map-root-user true' failed (" + denied + ")", "kernel.apparmor_restrict_unprivileged_userns is 1", lift}, nil},
		{"not restricted", "demo-netns", user, "0\n", true,
			[]string{denied, "kernel.apparmor_restrict_unprivileged_userns is 0", "AppArmor is not what forbids it"}, []string{lift}},
		{"no AppArmor", "demo-netns", user, "", true,
			[]string{denied, "kernel.apparmor_restrict_unprivileged_userns is not set", "AppArmor is not what forbids it"}, []string{lift}},
		{"root", "demo-netns", root, "1\n", true,
			[]string{"'unshare --net true' failed (" + denied + ")", "as root that needs CAP_SYS_ADMIN"}, []string{lift}},
		{"allowed", "demo-netns", user, "0\n", false, nil, []string{"failed"}},
		// The check comes before the tier's builds: the stand-in go is never run.
		{"test-demo", "test-demo", user, "1\n", true,
			[]string{"kernel.apparmor_restrict_unprivileged_userns is 1", lift}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			bin := t.TempDir()
			calls := filepath.Join(t.TempDir(), "calls")
			status := "0"
			if c.fails {
				status = "1"
			}
			unshare := "#!/bin/sh\necho \"unshare $*\" >> " + calls + "\n"
			if c.fails {
				unshare += "echo '" + denied + "' >&2\n"
			}
			unshare += "exit " + status + "\n"
			if err := os.WriteFile(filepath.Join(bin, "unshare"), []byte(unshare), 0o755); err != nil {
				t.Fatal(err)
			}
			goStandIn := "#!/bin/sh\necho \"go $*\" >> " + calls + "\nexit 1\n"
			if err := os.WriteFile(filepath.Join(bin, "go"), []byte(goStandIn), 0o755); err != nil {
				t.Fatal(err)
			}
			sysctl := filepath.Join(t.TempDir(), "apparmor_restrict_unprivileged_userns")
			if c.sysctl != "" {
				if err := os.WriteFile(sysctl, []byte(c.sysctl), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// The order checked here is make's without -j.
			cmd := topLevelMake(makeBin, "--no-print-directory", "-C", repo, c.target, c.args,
				"DEMO_USERNS_SYSCTL="+sysctl, "EVENTSCALE_CACHE="+t.TempDir(), "GO="+filepath.Join(bin, "go"))
			cmd.Env = append(cmd.Env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			logged, _ := os.ReadFile(calls)
			if (err != nil) != c.fails {
				t.Errorf("make %s: exit error %v, want failure %v; output:\n%s", c.target, err, c.fails, out)
			}
			if want := "unshare " + strings.TrimPrefix(c.args, "DEMO_UNSHARE_ARGS=") + " true"; !strings.Contains(string(logged), want) {
				t.Errorf("make %s: the stand-in unshare was not run as %q; calls:\n%s", c.target, want, logged)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("make %s: output lacks %q:\n%s", c.target, w, out)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(string(out), w) {
					t.Errorf("make %s: output holds %q:\n%s", c.target, w, out)
				}
			}
			if strings.Contains(string(logged), "go ") {
				t.Errorf("make %s ran go (a build) beside or after a failed check; calls:\n%s", c.target, logged)
			}
		})
	}
}

// makeInRepo is the make on PATH and the repository root, for the tests that run the Makefile.
func makeInRepo(t *testing.T) (makeBin, repo string) {
	t.Helper()
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make is required: %v", err)
	}
	if repo, err = filepath.Abs(".."); err != nil {
		t.Fatal(err)
	}
	return makeBin, repo
}

// topLevelMake is make run as if from a shell: a make above the test (make test-unit
// under .ci/run) passes its -j and jobserver down in MAKEFLAGS, which makes the child warn
// on stderr and reorder its output, so they are left out.
func topLevelMake(makeBin string, args ...string) *exec.Cmd {
	cmd := exec.Command(makeBin, args...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "MAKEFLAGS" && name != "MFLAGS" && name != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
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
