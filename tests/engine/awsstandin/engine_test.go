package awsstandin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/internal/offline"
)

// deathsigCLI runs the pulumi CLI for the Automation API like auto's own command does, but so
// that it dies with the test binary (Pdeathsig); the plugins it starts stop when their engine
// is gone (their host health check).
type deathsigCLI struct {
	bin     string
	version semver.Version
}

func (c deathsigCLI) Version() semver.Version { return c.version }

func (c deathsigCLI) Run(ctx context.Context, workdir string, stdin io.Reader, outs, errs []io.Writer, env []string, args ...string) (string, string, int, error) {
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--non-interactive"}, args...)...)
	cmd.Dir = workdir
	cmd.Env = append(append(os.Environ(), env...), "PULUMI_AUTOMATION_API=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(append(outs, &stdout)...)
	cmd.Stderr = io.MultiWriter(append(errs, &stderr)...)
	cmd.Stdin = stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	code := 0
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		code = -1
	}
	return stdout.String(), stderr.String(), code, err
}

// TestEngineDrivesTheStandIn runs a program registering one SQS queue under the real Pulumi
// engine (the CLI PULUMI_BIN names; make's engine targets set it) with the stand-in found on
// PATH: the engine configures it, creates the queue with the Derivation's ARN, calls no Create
// during a preview, replaces on a rename, deleting the old queue first (the program names it
// itself, so pulumi-aws's bridge asks for delete-before-replace), and deletes it on destroy.
func TestEngineDrivesTheStandIn(t *testing.T) {
	bin := os.Getenv("PULUMI_BIN")
	if bin == "" {
		t.Skip("PULUMI_BIN names no pulumi CLI (make's engine targets build one and set it)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "ops.jsonl")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "state"), 0o755))
	env := map[string]string{
		"PULUMI_HOME":                                 filepath.Join(dir, "home"),
		"PULUMI_BACKEND_URL":                          "file://" + filepath.Join(dir, "state"),
		"PULUMI_CONFIG_PASSPHRASE":                    "test",
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PATH": bins.Dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		EnvLog: logPath,
	}
	probe, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(filepath.Dir(bin)), SkipVersionCheck: true})
	require.NoError(t, err, "PULUMI_BIN must be <root>/bin/pulumi")
	cli := deathsigCLI{bin: bin, version: probe.Version()}

	name := "work-1"
	program := func(ctx *pulumi.Context) error {
		var q struct {
			pulumi.CustomResourceState
			Arn pulumi.StringOutput `pulumi:"arn"`
		}
		if err := ctx.RegisterResource("aws:sqs/queue:Queue", "work", pulumi.Map{"name": pulumi.String(name)}, &q); err != nil {
			return err
		}
		ctx.Export("arn", q.Arn)
		return nil
	}
	stack, err := auto.UpsertStackInlineSource(ctx, "t", "standin", program, auto.EnvVars(env), auto.Pulumi(cli))
	require.NoError(t, err)
	require.NoError(t, stack.SetConfig(ctx, "aws:region", auto.ConfigValue{Value: "eu-west-1"}))

	ops := func() []Op {
		got, err := ReadLog(logPath)
		require.NoError(t, err)
		return got
	}
	find := func(ops []Op, op, id string) int {
		return slices.IndexFunc(ops, func(o Op) bool { return o.Op == op && o.ID == id })
	}
	d := offline.Derivation{Region: "eu-west-1", AccountID: offline.AccountID}
	id1, out1 := d.Resource("aws:sqs/queue:Queue", "work", true, resource.NewPropertyMapFromMap(map[string]any{"name": "work-1"}))

	up, err := stack.Up(ctx)
	require.NoError(t, err)
	assert.Equal(t, out1["arn"].StringValue(), up.Outputs["arn"].Value)
	assert.NotEqual(t, -1, find(ops(), "create", id1))

	name = "work-2"
	before := len(ops())
	_, err = stack.Preview(ctx, optpreview.Diff())
	require.NoError(t, err)
	for _, o := range ops()[before:] {
		assert.NotContains(t, []string{"create", "update", "delete"}, o.Op, "a preview changes nothing")
	}

	_, err = stack.Up(ctx, optup.Diff())
	require.NoError(t, err)
	id2, _ := d.Resource("aws:sqs/queue:Queue", "work", true, resource.NewPropertyMapFromMap(map[string]any{"name": "work-2"}))
	all := ops()
	created, deleted := find(all, "create", id2), find(all, "delete", id1)
	require.NotEqual(t, -1, created)
	require.NotEqual(t, -1, deleted)
	assert.Less(t, deleted, created, "the queue the program names itself is deleted before its renamed replacement is created, as the bridge decides (deleteBeforeReplace)")

	_, err = stack.Destroy(ctx, optdestroy.Remove())
	require.NoError(t, err)
	assert.NotEqual(t, -1, find(ops(), "delete", id2))
}
