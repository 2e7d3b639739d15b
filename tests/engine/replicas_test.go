package engine

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/integration"
)

// workerReplicas follows the worker Deployments' replica count through the lifecycle: the
// program creates each with 0 replicas and then leaves the count to KEDA and its HPA
// (components/workload: pulumi.IgnoreChanges on infra.ReplicasPath). The Deployment of the
// first workload is the one the lifecycle's edits update.
type workerReplicas struct {
	client  *integration.Client
	workers []map[string]any
}

// newWorkerReplicas reads the worker Deployments of cfg's workloads.
func newWorkerReplicas(t *testing.T, c *integration.Cluster, cfg stacks.Config) *workerReplicas {
	t.Helper()
	client, err := integration.NewClient(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	r := &workerReplicas{client: client}
	for _, w := range cfg.Workloads {
		r.workers = append(r.workers, map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": w.Name, "namespace": w.Namespace},
		})
	}
	return r
}

// check fails t unless the first workload's Deployment (all of them with all) has want replicas
// in the API server; when says after what.
func (r *workerReplicas) check(t *testing.T, ctx context.Context, all bool, want int64, when string) {
	t.Helper()
	workers := r.workers[:1]
	if all {
		workers = r.workers
	}
	for _, w := range workers {
		live, err := r.client.Get(ctx, w)
		if err != nil {
			t.Fatalf("%s: reading %s: %v", when, integration.Identity(w), err)
		}
		spec, _ := live["spec"].(map[string]any)
		if got := fmt.Sprint(spec["replicas"]); got != fmt.Sprint(want) {
			t.Errorf("%s: %s has replicas %s, want %d (owned by %v)", when, integration.Identity(w), got, want, integration.ReplicasOwners(live))
		} else {
			t.Logf("%s: %s has replicas %s (owned by %v)", when, integration.Identity(w), got, integration.ReplicasOwners(live))
		}
	}
}

// scaleAsHPA sets the first workload's Deployment to n replicas the way the HPA that KEDA
// creates does: through the scale subresource, as the HPA controller's field manager.
func (r *workerReplicas) scaleAsHPA(t *testing.T, ctx context.Context, n int64) {
	t.Helper()
	if err := r.client.UpdateScale(ctx, r.workers[0], n, integration.HPAFieldManager); err != nil {
		t.Fatalf("scaling %s as the HPA: %v", integration.Identity(r.workers[0]), err)
	}
}

// upNewImageTag sets the first workload's imageTag to tag in the stack file and runs up, which
// must update that workload's Deployment (resource name deployment) and nothing else.
func upNewImageTag(t *testing.T, ctx context.Context, s auto.Stack, tag, deployment string) {
	t.Helper()
	editStackFile(t, s, func(cfg map[string]any) {
		cfg["eventscale:workloads"].([]any)[0].(map[string]any)["imageTag"] = tag
	})
	steps, res, out, took, err := upEvents(ctx, s)
	if err != nil {
		t.Fatalf("up with imageTag %s: %v\n%s", tag, err, tail(out, 120))
	}
	t.Logf("update of the image tag: %s, %v", took.Round(time.Second), *res.Summary.ResourceChanges)
	if updated, want := updatedResources(t, steps), []string{"kubernetes:apps/v1:Deployment " + deployment}; !slices.Equal(updated, want) {
		t.Errorf("the image tag edit updated %v, want exactly %v", updated, want)
	}
}

// updatedResources are the "type name" of each resource an up updated, sorted; any step but
// same and update fails t.
func updatedResources(t *testing.T, steps map[string]string) []string {
	t.Helper()
	var updated []string
	for urn, op := range steps {
		switch op {
		case "same":
		case "update":
			updated = append(updated, string(resource.URN(urn).Type())+" "+resource.URN(urn).Name())
		default:
			t.Errorf("the edit made %s a %s", urn, op)
		}
	}
	slices.Sort(updated)
	return updated
}
