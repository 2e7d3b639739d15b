package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/eventscale/eventscale/tests/engine/awsstandin"
	"github.com/eventscale/eventscale/tests/integration"
)

// startCluster starts the integration tier's real etcd, kube-apiserver and kube-controller-manager
// (anonymous /healthz allowed: pulumi-eks polls it without credentials before it goes on) and the
// kubelet stand-in, all stopped with t; it skips like the other tiers when a binary is missing,
// and fails when CI=true.
func startCluster(t *testing.T) *integration.Cluster {
	t.Helper()
	kcm, err := integration.KubeControllerManagerPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := integration.Start(ctx, integration.Options{ControllerManager: kcm, AnonymousHealth: true, Logf: t.Logf})
	if err != nil {
		if os.Getenv("CI") != "true" && c == nil {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	k, err := StartKubelet(ctx, c.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := k.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// clusterEnv points the aws stand-in's EKS cluster and the aws CLI's token at c.
func clusterEnv(c *integration.Cluster) map[string]string {
	return map[string]string{
		awsstandin.EnvEKSEndpoint: c.URL,
		awsstandin.EnvEKSCAData:   base64.StdEncoding.EncodeToString(c.Config.TLSClientConfig.CAData),
		awsstandin.EnvEKSIssuer:   c.URL,
		awsstandin.EnvToken:       c.Config.BearerToken,
	}
}

// TestUp deploys the dev stack with the real engine and providers to the real API server.
func TestUp(t *testing.T) {
	c := startCluster(t)
	w, mirror, _ := newTestWorld(t, clusterEnv(c))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	s, err := w.Stack(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	setConfig(t, ctx, s, chartConfig(t, mirror, map[string]string{}))
	var out bytes.Buffer
	start := time.Now()
	res, err := s.Up(ctx, optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	if err != nil {
		t.Fatalf("up: %v\n%s", err, tail(out.String(), 120))
	}
	t.Logf("up of dev: %s, %v", time.Since(start).Round(time.Second), res.Summary.ResourceChanges)
}
