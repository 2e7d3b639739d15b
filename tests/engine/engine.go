package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/engine/awsstandin"
	"github.com/eventscale/eventscale/tests/verify"
)

// The environment variables that name the real binaries the tier runs; `make test-engine`
// (make/engine.mk) builds or installs them into the cache and sets these.
const (
	EnvPulumi     = "PULUMI_BIN"
	EnvKubernetes = "PULUMI_KUBERNETES_BIN"
	EnvEKS        = "PULUMI_EKS_BIN"
)

// Tools are the real binaries: the Pulumi CLI (the engine) and the Kubernetes and pulumi-eks
// provider plugins.
type Tools struct {
	Pulumi, Kubernetes, EKS string
}

// ToolsFromEnv reads the tools' paths from EnvPulumi, EnvKubernetes and EnvEKS. ok is false when
// none is set; an error names a variable that is set to something that is not an executable, or
// missing while others are set.
func ToolsFromEnv() (tools Tools, ok bool, err error) {
	vars := []struct {
		name string
		dst  *string
	}{{EnvPulumi, &tools.Pulumi}, {EnvKubernetes, &tools.Kubernetes}, {EnvEKS, &tools.EKS}}
	var missing []string
	for _, v := range vars {
		*v.dst = os.Getenv(v.name)
		if *v.dst == "" {
			missing = append(missing, v.name)
			continue
		}
		st, err := os.Stat(*v.dst)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return tools, true, fmt.Errorf("%s=%s is not an executable file", v.name, *v.dst)
		}
	}
	switch len(missing) {
	case len(vars):
		return tools, false, nil
	case 0:
		return tools, true, nil
	}
	return tools, true, fmt.Errorf("%s not set (make test-engine sets all three)", strings.Join(missing, ", "))
}

// World is what one run of the engine sees: the real CLI and providers, the stand-in aws provider
// and CLI, a file backend, and the environment the CLI and every plugin it starts inherit.
type World struct {
	// Dir holds the backend (state/), PULUMI_HOME (home/), the guards (bin/) and one project
	// copy per stack.
	Dir string
	// AWSLog is the stand-in aws provider's operation log (awsstandin.ReadLog).
	AWSLog string
	// Env is the CLI's environment, on top of this process's.
	Env map[string]string

	pulumi auto.PulumiCommand
}

// WorldOptions configure NewWorld.
type WorldOptions struct {
	Tools Tools
	// StandIns are the stand-in aws provider and commands (awsstandin.Build), built once per
	// test binary and shared by its worlds.
	StandIns awsstandin.Binaries
	// ExtraEnv is added to the CLI's environment (for example SSL_CERT_FILE for the chart
	// mirror's CA, or the stand-in's EKS endpoint variables).
	ExtraEnv map[string]string
}

// NewWorld prepares what the engine runs with in dir. The CLI and the three provider plugins
// are started through guards in dir/bin, `setpriv --pdeathsig KILL` in front of the real binary:
// each dies with the process that started it, so a test binary killed outright (a timeout's
// SIGKILL, a developer's kill -9) leaves neither the CLI nor a plugin behind; the plugins' parent
// is the CLI, which no code of the test can stop once the test is gone. PATH starts with the
// guards (the engine takes plugins it finds on PATH, "ambient" plugins, before any it would
// install), then the stand-ins' aws and kubectl, then this process's PATH (Node for pulumi-eks);
// a file:// backend and a passphrase secrets provider in dir; no update checks and no plugin
// downloads.
func NewWorld(dir string, opts WorldOptions) (*World, error) {
	bin := filepath.Join(dir, "bin")
	home := filepath.Join(dir, "home")
	state := filepath.Join(dir, "state")
	for _, d := range []string{bin, home, state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if opts.StandIns.Provider == "" {
		return nil, fmt.Errorf("no stand-in binaries (awsstandin.Build) in the world's options")
	}
	for name, target := range map[string]string{
		"pulumi":                     opts.Tools.Pulumi,
		"pulumi-resource-kubernetes": opts.Tools.Kubernetes,
		"pulumi-resource-eks":        opts.Tools.EKS,
		awsstandin.ProviderCommand:   opts.StandIns.Provider,
	} {
		if err := writeGuard(filepath.Join(bin, name), target); err != nil {
			return nil, err
		}
	}
	w := &World{Dir: dir, AWSLog: filepath.Join(dir, "aws-standin.jsonl")}
	path := []string{bin, opts.StandIns.Dir, os.Getenv("PATH")}
	w.Env = map[string]string{
		"PATH":                     strings.Join(path, string(os.PathListSeparator)),
		"PULUMI_HOME":              home,
		"PULUMI_BACKEND_URL":       "file://" + state,
		"PULUMI_CONFIG_PASSPHRASE": "engine-tier",
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"HELM_CACHE_HOME":  filepath.Join(dir, "helm", "cache"),
		"HELM_CONFIG_HOME": filepath.Join(dir, "helm", "config"),
		"HELM_DATA_HOME":   filepath.Join(dir, "helm", "data"),
		awsstandin.EnvLog:  w.AWSLog,
	}
	for k, v := range opts.ExtraEnv {
		w.Env[k] = v
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: dir})
	if err != nil {
		return nil, fmt.Errorf("the Pulumi CLI at %s (through %s): %w", opts.Tools.Pulumi, filepath.Join(bin, "pulumi"), err)
	}
	w.pulumi = cmd
	return w, nil
}

// writeGuard writes an executable script at path that runs target with its arguments under
// `setpriv --pdeathsig KILL` (util-linux): target gets SIGKILL when the process that started the
// script dies, however it dies.
func writeGuard(path, target string) error {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		return fmt.Errorf("setpriv (util-linux) is needed to tie the CLI and the plugins to the test's life: %w", err)
	}
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	script := "#!/bin/sh\n# Guard of the engine tier (tests/engine, NewWorld): dies with the process that started it.\n" +
		"exec " + quote(setpriv) + " --pdeathsig KILL -- " + quote(target) + ` "$@"` + "\n"
	return os.WriteFile(path, []byte(script), 0o755)
}

// Stack creates (or selects) the stack named stack of a copy of the project: Pulumi.yaml and
// Pulumi.<stack>.yaml from the repository, unchanged, in their own folder (the CLI writes the
// stack's encryption salt and any config set through the Automation API there, never into the
// repository). The program is the program's own entry point, stacks.Run, as an inline program:
// the engine hands it the configuration through the same SDK call a compiled program uses.
func (w *World) Stack(ctx context.Context, stack string) (auto.Stack, error) {
	return w.StackFrom(ctx, stack, verify.RepoRoot())
}

// StackFrom is Stack with the project copy's Pulumi.yaml and Pulumi.<stack>.yaml taken from the
// tree at src: an earlier release's (Release.Src), as a user of that release has them.
func (w *World) StackFrom(ctx context.Context, stack, src string) (auto.Stack, error) {
	dir := w.projectDir(stack)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return auto.Stack{}, err
	}
	for _, f := range []string{"Pulumi.yaml", "Pulumi." + stack + ".yaml"} {
		if err := copyFile(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
			return auto.Stack{}, err
		}
	}
	proj, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return auto.Stack{}, fmt.Errorf("the project file: %w", err)
	}
	return auto.UpsertStackInlineSource(ctx, stack, proj.Name.String(), stacks.Run,
		auto.WorkDir(dir),
		auto.Pulumi(w.pulumi),
		auto.PulumiHome(w.Env["PULUMI_HOME"]),
		auto.EnvVars(w.Env),
		auto.SecretsProvider("passphrase"),
	)
}

// UseProjectFile puts the tree at src's Pulumi.yaml into the stack's project copy, as pulling
// another version of the repository does to a user's checkout, whose stack files stay theirs.
func (w *World) UseProjectFile(stack, src string) error {
	return copyFile(filepath.Join(src, "Pulumi.yaml"), filepath.Join(w.projectDir(stack), "Pulumi.yaml"))
}

func (w *World) projectDir(stack string) string { return filepath.Join(w.Dir, "project-"+stack) }

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
