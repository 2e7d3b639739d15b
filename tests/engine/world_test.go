package engine

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"

	"github.com/eventscale/eventscale/tests/engine/charts"
)

// newTestWorld starts what every engine test needs beside the real tools (the chart mirror and
// the OIDC host stand-in, both stopped with t) and returns the world they are wired into, with
// extraEnv on top. It fails t if a provider tried to reach any host but the OIDC hosts.
func newTestWorld(t *testing.T, extraEnv map[string]string) (*World, *charts.Mirror, *OIDCHost) {
	t.Helper()
	tools := requireTools(t)
	mirror := charts.Serve(t)
	oidc, err := StartOIDCHost(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := oidc.Close(); err != nil {
			t.Error(err)
		}
		if r := oidc.Refused(); len(r) > 0 {
			t.Errorf("the providers tried to reach %v", r)
		}
	})
	env := map[string]string{
		"SSL_CERT_FILE":       mirror.CAFile,
		"HTTPS_PROXY":         oidc.ProxyURL,
		"NO_PROXY":            "127.0.0.1,localhost",
		"NODE_EXTRA_CA_CERTS": oidc.CAFile,
	}
	maps.Copy(env, extraEnv)
	w, err := NewWorld(t.TempDir(), WorldOptions{Tools: tools, StandIns: sharedStandIns(t), ExtraEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	return w, mirror, oidc
}

// setConfig sets each path (e.g. "karpenter.chartRepository") of the stack's configuration.
func setConfig(t *testing.T, ctx context.Context, s auto.Stack, set map[string]string) {
	t.Helper()
	for path, v := range set {
		if err := s.SetConfigWithOptions(ctx, path, auto.ConfigValue{Value: v}, &auto.ConfigOptions{Path: true}); err != nil {
			t.Fatalf("setting %s: %v", path, err)
		}
	}
}

// preview runs `pulumi preview` and returns the steps it showed and its output.
func preview(ctx context.Context, s auto.Stack, opts ...optpreview.Option) (*previewed, auto.PreviewResult, string, error) {
	p := &previewed{steps: map[string]string{}, types: map[string]string{}, diffs: map[string][]string{}, detailed: map[string][]string{}}
	ch := make(chan events.EngineEvent)
	done := make(chan struct{})
	go p.collect(ch, done)
	var out bytes.Buffer
	start := time.Now()
	res, err := s.Preview(ctx, append(opts, optpreview.EventStreams(ch), optpreview.ProgressStreams(&out), optpreview.ErrorProgressStreams(&out))...)
	// The Automation API closes the event channel when the engine's event log ends; a command
	// the engine refuses before it starts one (a config that fails the project's schema) leaves
	// the channel open, so do not wait for it then.
	grace := 30 * time.Second
	if err != nil {
		grace = 2 * time.Second
	}
	select {
	case <-done:
	case <-time.After(grace):
		if err == nil {
			return p, res, out.String(), fmt.Errorf("the engine's event stream did not end %s after the preview", grace)
		}
	}
	p.took = time.Since(start)
	return p, res, out.String(), err
}
