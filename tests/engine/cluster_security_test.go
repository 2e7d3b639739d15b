package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eventscale/eventscale/stacks"
)

// Types of the cluster's security baseline, as the state names them.
const (
	typeEKSCluster  = "aws:eks/cluster:Cluster"
	typeEKSCompound = "eks:index:Cluster"
	typeKMSKey      = "aws:kms/key:Key"
	typeLogGroup    = "aws:cloudwatch/logGroup:LogGroup"
)

// checkClusterBaseline asserts, from the state after the first up under the real pulumi-eks:
// pulumi-eks created no IAM role, policy attachment or access entry of its own (instanceRoles is
// empty and the cluster role is the cluster component's); the aws.eks.Cluster it created depends
// on the control-plane log group (so it was created after it) and has secrets encryption with the
// stack's key; it and the key are protected exactly when cluster.protect is (pulumi-eks's
// children inherit the option from its component).
func checkClusterBaseline(t *testing.T, st apitype.DeploymentV3, cfg stacks.Config) {
	t.Helper()
	var eksCluster, key, logGroup *apitype.ResourceV3
	for i, r := range st.Resources {
		u := resource.URN(r.URN)
		inEKS := strings.Contains(string(u.QualifiedType()), typeEKSCompound+"$")
		switch {
		case inEKS && (r.Type == "aws:iam/role:Role" || r.Type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" || r.Type == "aws:eks/accessEntry:AccessEntry"):
			t.Errorf("pulumi-eks created %s (instanceRoles is empty and the cluster role is the component's)", r.URN)
		case r.Type == typeEKSCluster:
			eksCluster = &st.Resources[i]
		case r.Type == typeKMSKey && u.Name() == "cluster-secrets-key":
			key = &st.Resources[i]
		case r.Type == typeLogGroup && u.Name() == "cluster-log-group":
			logGroup = &st.Resources[i]
		}
	}
	if eksCluster == nil || logGroup == nil || (key == nil && cfg.Cluster.SecretsKmsKeyArn == "") {
		t.Fatalf("state lacks the EKS cluster (%v), its log group (%v) or its key (%v)", eksCluster != nil, logGroup != nil, key != nil)
	}
	if !dependsOn(*eksCluster, logGroup.URN) {
		t.Errorf("%s does not depend on %s: EKS could create the log group first, without retention", eksCluster.URN, logGroup.URN)
	}
	enc, _ := eksCluster.Inputs["encryptionConfig"].(map[string]any)
	provider, _ := enc["provider"].(map[string]any)
	if key != nil && provider["keyArn"] != key.Outputs["arn"] {
		t.Errorf("the EKS cluster's encryptionConfig is %v, want the key %v", eksCluster.Inputs["encryptionConfig"], key.Outputs["arn"])
	}
	if eksCluster.Protect != cfg.Cluster.Protect {
		t.Errorf("%s protect = %v, want cluster.protect %v (inherited from the pulumi-eks component)", eksCluster.URN, eksCluster.Protect, cfg.Cluster.Protect)
	}
	if key != nil && key.Protect != cfg.Cluster.Protect {
		t.Errorf("%s protect = %v, want cluster.protect %v", key.URN, key.Protect, cfg.Cluster.Protect)
	}
}

// dependsOn reports whether r depends on urn directly, through a dependency or an input's.
func dependsOn(r apitype.ResourceV3, urn resource.URN) bool {
	for _, d := range r.Dependencies {
		if d == urn {
			return true
		}
	}
	for _, ds := range r.PropertyDependencies {
		for _, d := range ds {
			if d == urn {
				return true
			}
		}
	}
	return false
}

// addEncryptionToRunningCluster makes the stack's state look like a cluster created before
// secrets encryption (no encryptionConfig in the EKS cluster's inputs and outputs, as a stack of
// the program's previous version has), then runs `up`: the EKS cluster is updated in place
// (AssociateEncryptionConfig), not replaced, and nothing else changes.
func addEncryptionToRunningCluster(t *testing.T, ctx context.Context, s auto.Stack) {
	t.Helper()
	dep, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(dep.Deployment, &st); err != nil {
		t.Fatal(err)
	}
	cluster := ""
	for _, r := range st["resources"].([]any) {
		r := r.(map[string]any)
		if r["type"] == typeEKSCluster {
			cluster = r["urn"].(string)
			for _, k := range []string{"inputs", "outputs"} {
				if m, ok := r[k].(map[string]any); ok {
					delete(m, "encryptionConfig")
				}
			}
		}
	}
	if cluster == "" {
		t.Fatal("no EKS cluster in the state")
	}
	if dep.Deployment, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := s.Import(ctx, dep); err != nil {
		t.Fatal(err)
	}
	steps, res, out, took, err := upEvents(ctx, s)
	if err != nil {
		t.Fatalf("up adding encryption to the running cluster: %v\n%s", err, tail(out, 120))
	}
	t.Logf("adding secrets encryption: %s, %v", took.Round(1e9), *res.Summary.ResourceChanges)
	if op := steps[cluster]; op != "update" {
		t.Errorf("adding secrets encryption to the running cluster: %s is %q, want an update (AssociateEncryptionConfig)", cluster, op)
	}
	for urn, op := range steps {
		if urn != cluster && op != "same" {
			t.Errorf("adding secrets encryption: %s is %s, want same", urn, op)
		}
	}
}

// protectedWithNeeds are the URNs a destroy refused for protected resources keeps: the protected
// resources and everything they depend on (Pulumi deletes a resource only after what depends on
// it), their parents included.
func protectedWithNeeds(resources []apitype.ResourceV3) map[resource.URN]bool {
	byURN := map[resource.URN]apitype.ResourceV3{}
	for _, r := range resources {
		byURN[r.URN] = r
	}
	keep := map[resource.URN]bool{}
	var visit func(u resource.URN)
	visit = func(u resource.URN) {
		if keep[u] || u == "" {
			return
		}
		keep[u] = true
		r := byURN[u]
		for _, d := range r.Dependencies {
			visit(d)
		}
		for _, ds := range r.PropertyDependencies {
			for _, d := range ds {
				visit(d)
			}
		}
		visit(r.Parent)
	}
	for _, r := range resources {
		if r.Protect {
			visit(r.URN)
		}
	}
	return keep
}
