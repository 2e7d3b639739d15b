package permissions_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/permissions"
	"github.com/eventscale/eventscale/internal/stacktest"
	"github.com/eventscale/eventscale/stacks"
)

// The shipped stacks' plans, made once per test binary by the first test that needs them.
var (
	planOnce sync.Once
	planRecs map[string]*offline.Recording
	planErr  error
)

// withOptions are settings the shipped stack files leave empty that add resource types to a plan:
// an admin principal (an EKS access entry and its cluster-admin policy association) and an alarm
// e-mail (an SNS subscription). Each stack is planned a second time with them, labelled
// WithOptions, so the table covers what a user's stack can create too.
var withOptions = map[string]map[string]any{
	"cluster":    {"adminPrincipalArns": []string{"arn:aws:iam::" + offline.AccountID + ":role/platform-admin"}},
	"monitoring": {"alarmEmails": []string{"oncall@example.com"}},
}

// WithOptions is the suffix of a stack's label in a plan with withOptions set.
const WithOptions = " (with cluster.adminPrincipalArns and monitoring.alarmEmails)"

// planWithOptions plans stack with its stack file's config plus withOptions.
func planWithOptions(stack string) (*offline.Recording, error) {
	raw, err := stacks.ReadStackFile(filepath.Join(stacktest.Root(), "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, err
	}
	for section, keys := range withOptions {
		key := stacks.Namespace + ":" + section
		m := map[string]any{}
		if v, ok := raw[key]; ok {
			if err := json.Unmarshal([]byte(v), &m); err != nil {
				return nil, fmt.Errorf("%s of stack %s: %w", key, stack, err)
			}
		}
		for k, v := range keys {
			m[k] = v
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		raw[key] = string(b)
	}
	return offline.Run(stack, raw, offline.Options{})
}

// usage runs the program offline for every shipped stack, as shipped and with withOptions
// (once), and returns what the plans contain, with the recordings by label.
func usage(t *testing.T) (permissions.Usage, map[string]*offline.Recording) {
	t.Helper()
	names := stacktest.Names(t)
	planOnce.Do(func() {
		planRecs = map[string]*offline.Recording{}
		for _, stack := range names {
			rec, err := offline.RunStackFile(stacktest.Root(), stack)
			if err != nil {
				planErr = fmt.Errorf("planning stack %s: %w", stack, err)
				return
			}
			planRecs[stack] = rec
			if rec, err = planWithOptions(stack); err != nil {
				planErr = fmt.Errorf("planning stack %s%s: %w", stack, WithOptions, err)
				return
			}
			planRecs[stack+WithOptions] = rec
		}
	})
	if planErr != nil {
		t.Fatal(planErr)
	}
	u := permissions.NewUsage()
	for label, rec := range planRecs {
		for _, r := range rec.Resources {
			u.AddResource(r.Type, label)
		}
		for _, i := range rec.Invokes {
			u.AddInvoke(i.Token, label)
		}
	}
	return u, planRecs
}

// TestEveryPlannedTypeHasAnEntry fails when a stack's plan registers a resource type or calls a
// provider function the table has no entry for, and when the table has an entry no plan needs
// (except one marked PlannedOnly, which is reported).
func TestEveryPlannedTypeHasAnEntry(t *testing.T) {
	u, _ := usage(t)
	if len(u.Resources) == 0 || len(u.Invokes) == 0 {
		t.Fatalf("the plans hold %d resource types and %d functions", len(u.Resources), len(u.Invokes))
	}
	missing, unused := permissions.Check(u)
	for _, m := range missing {
		t.Errorf("%s is in a plan but has no entry in internal/permissions: add what the deploying identity needs for it", m)
	}
	for _, m := range unused {
		t.Errorf("%s has an entry in internal/permissions that no stack's plan needs: remove it, or mark it PlannedOnly", m)
	}
	for token, n := range permissions.Resources {
		if n.PlannedOnly == "" {
			continue
		}
		if stacks := u.Resources[token]; len(stacks) > 0 {
			t.Errorf("%s is marked PlannedOnly but the plans of %v register it: drop the mark and regenerate docs/permissions.md", token, stacks)
		} else {
			t.Logf("reported: %s is in no stack's plan yet (PlannedOnly: %s)", token, n.PlannedOnly)
		}
	}
}

// TestCheckReportsATypeWithoutAnEntry is the coverage check's probe: a type the table does not
// know, added to a plan, is reported missing, and an entry the plans stop using is reported unused.
func TestCheckReportsATypeWithoutAnEntry(t *testing.T) {
	t.Parallel()
	u := permissions.NewUsage()
	for token, n := range permissions.Resources {
		if n.PlannedOnly == "" {
			u.AddResource(token, "probe")
		}
	}
	for token := range permissions.Invokes {
		u.AddInvoke(token, "probe")
	}
	if missing, unused := permissions.Check(u); len(missing)+len(unused) != 0 {
		t.Fatalf("a plan of exactly the table's types: missing %v, unused %v", missing, unused)
	}
	u.AddResource("aws:s3/bucket:Bucket", "probe")
	u.AddInvoke("aws:ec2/getAmi:getAmi", "probe")
	missing, _ := permissions.Check(u)
	if want := []string{"resource type aws:s3/bucket:Bucket", "function aws:ec2/getAmi:getAmi"}; strings.Join(missing, "|") != strings.Join(want, "|") {
		t.Errorf("missing = %v, want %v", missing, want)
	}
	delete(u.Resources, "aws:sqs/queue:Queue")
	if _, unused := permissions.Check(u); strings.Join(unused, "|") != "resource type aws:sqs/queue:Queue" {
		t.Errorf("unused = %v, want the queue type", unused)
	}
	// A type that only a remote component's Includes name counts as used through it.
	delete(u.Resources, "aws:ec2/securityGroup:SecurityGroup")
	if _, unused := permissions.Check(u); strings.Contains(strings.Join(unused, "|"), "SecurityGroup") {
		t.Errorf("unused = %v: the security group is created inside eks:index:Cluster", unused)
	}
}

var actionName = regexp.MustCompile(`^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$`)

// TestActionsAreWellFormed checks every action of the table is "<prefix>:<Action>" of a listed
// service, and that every entry says where it was read.
func TestActionsAreWellFormed(t *testing.T) {
	t.Parallel()
	check := func(where, action string) {
		if !actionName.MatchString(action) {
			t.Errorf("%s: action %q is not <prefix>:<Action>", where, action)
		}
		if _, ok := permissions.ServiceOf(action); !ok {
			t.Errorf("%s: action %q belongs to no service of permissions.Services", where, action)
		}
	}
	for token, n := range permissions.Resources {
		for _, a := range n.Actions {
			check(token, a)
		}
		for _, g := range n.Guarded {
			check(token, g.Action)
			if g.Resource == "" || g.Why == "" {
				t.Errorf("%s: guarded %s needs a resource and a reason", token, g.Action)
			}
		}
		if n.Source == "" {
			t.Errorf("%s: no source", token)
		}
		for _, inc := range n.Includes {
			if _, ok := permissions.Resources[inc]; !ok {
				t.Errorf("%s includes %s, which has no entry", token, inc)
			}
		}
		for _, c := range n.Calls {
			if _, ok := permissions.Invokes[c]; !ok {
				t.Errorf("%s calls %s, which has no entry", token, c)
			}
		}
	}
	for token, n := range permissions.Invokes {
		for _, a := range n.Actions {
			check(token, a)
		}
		if n.Source == "" {
			t.Errorf("%s: no source", token)
		}
	}
}

// TestPassedRolePatternsMatchThePlan checks the role patterns the iam:PassRole statements are
// limited to against the plans: the Fargate profile's pod execution role matches its pattern,
// and the pulumi-eks component whose cluster role the other pattern names has the name it assumes.
func TestPassedRolePatternsMatchThePlan(t *testing.T) {
	_, recs := usage(t)
	for stack, rec := range recs {
		var profiles, clusters int
		for _, r := range rec.Resources {
			switch r.Type {
			case "aws:eks/fargateProfile:FargateProfile":
				profiles++
				arn, _ := r.Inputs["podExecutionRoleArn"].(string)
				if ok, err := path.Match(permissions.FargatePodExecutionRolePattern, arn); err != nil || !ok {
					t.Errorf("%s: the Fargate profile passes %q, which %s does not match", stack, arn, permissions.FargatePodExecutionRolePattern)
				}
			case "eks:index:Cluster":
				clusters++
				if r.Name != "cluster-eks" {
					t.Errorf("%s: the pulumi-eks component is %q; %s assumes cluster-eks", stack, r.Name, permissions.EKSClusterRolePattern)
				}
			}
		}
		if profiles != 1 || clusters != 1 {
			t.Errorf("%s: %d Fargate profiles and %d pulumi-eks clusters, want 1 each", stack, profiles, clusters)
		}
	}
}

// TestDocIsGenerated fails when docs/permissions.md differs from what the table and the plans
// render; PERMISSIONS_UPDATE=1 (make permissions) writes it.
func TestDocIsGenerated(t *testing.T) {
	u, _ := usage(t)
	doc := permissions.Render(u)
	file := filepath.Join(stacktest.Root(), "docs", "permissions.md")
	if os.Getenv("PERMISSIONS_UPDATE") == "1" {
		require.NoError(t, os.WriteFile(file, []byte(doc), 0o644))
	}
	got, err := os.ReadFile(file)
	require.NoError(t, err, "run `make permissions`")
	require.Equal(t, doc, string(got), "%s is stale: run `make permissions` and commit it", file)
	for _, want := range []string{"iam:PassRole", "iam:CreateServiceLinkedRole", "iam:CreateOpenIDConnectProvider",
		"AWSServiceRoleForAmazonEKS", "AWSServiceRoleForAmazonEKSForFargate", "AWSServiceRoleForEC2Spot", "bootstrapClusterCreatorAdminPermissions"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the document does not mention %s", want)
		}
	}
}
