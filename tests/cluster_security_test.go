package tests

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/components/cluster"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/stacktest"
)

// Resource types of the cluster's security baseline.
const (
	typeKMSAlias = "aws:kms/alias:Alias"
	typeAddon    = "aws:eks/addon:Addon"
)

// TestClusterSecurityBaseline, per shipped stack: the endpoint as the stack file says (dev open to
// the internet, prod restricted and private), all five control-plane log types into a log group
// the cluster waits for, kept logRetentionDays; secrets encrypted with a key of the cluster's own
// (rotated, 30-day deletion window, usable by the account's IAM policies and the cluster role
// only) behind alias/<cluster>-eks-secrets; the cluster role passed to pulumi-eks under the names
// pulumi-eks gave it; no instance role; the vpc-cni add-on enforcing network policies; the cluster
// and the key protected in prod only.
func TestClusterSecurityBaseline(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		rec, cfg, comp, eks := clusterRun(t, stack)
		in := eks.Inputs

		wantCidrs := map[string][]any{"dev": {"0.0.0.0/0"}, "prod": {"192.0.2.0/24"}}[stack]
		assert.Equal(t, wantCidrs, in["publicAccessCidrs"])
		assert.Equal(t, true, in["endpointPrivateAccess"])
		assert.Equal(t, []any{"api", "audit", "authenticator", "controllerManager", "scheduler"}, in["enabledClusterLogTypes"])
		assert.Equal(t, []any{}, in["instanceRoles"], "pulumi-eks gets an empty instanceRoles: no instance role, attachments or access entry")
		assert.Equal(t, stack == "prod", eks.Protect, "the EKS cluster is protected in prod")

		logGroup := one(t, rec, typeLogGroup, "cluster-log-group")
		assert.Equal(t, comp, logGroup.Parent)
		assert.Equal(t, "/aws/eks/"+cfg.Cluster.Name+"/cluster", logGroup.Inputs["name"])
		assert.EqualValues(t, 90, logGroup.Inputs["retentionInDays"])
		assert.Contains(t, eks.Depends, logGroup.URN, "the log group exists before the cluster")

		role := one(t, rec, typeRole, "cluster-eks-eksRole-role")
		assert.Equal(t, comp, role.Parent)
		assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":["sts:AssumeRole"]}]}`,
			str(role.Inputs["assumeRolePolicy"]))
		att := one(t, rec, typeRoleAttachment, "cluster-eks-eksRole-4b490823")
		assert.Equal(t, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", att.Inputs["policyArn"])
		assert.Equal(t, role.ID, att.Inputs["role"])
		assert.Equal(t, role.URN, in["serviceRole"], "pulumi-eks uses this role")
		assert.Contains(t, eks.Depends, att.URN, "the cluster waits for the role's policy")

		key := one(t, rec, typeKMSKey, "cluster-secrets-key")
		assert.Equal(t, comp, key.Parent)
		assert.Equal(t, true, key.Inputs["enableKeyRotation"])
		assert.EqualValues(t, 30, key.Inputs["deletionWindowInDays"])
		assert.Equal(t, stack == "prod", key.Protect, "the key is protected in prod")
		roleArn := "arn:aws:iam::" + offline.AccountID + ":role/" + role.ID
		assert.JSONEq(t, infra.ClusterSecretsKeyPolicy("aws", offline.AccountID, roleArn).JSON(), str(key.Inputs["policy"]))
		var policy infra.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(str(key.Inputs["policy"])), &policy))
		for _, s := range policy.Statement {
			assert.NotEqual(t, "*", s.Principal["AWS"], "no statement for everyone")
		}
		_, keyArn := keyIDs(t, rec, key)
		assert.Equal(t, keyArn, in["encryptionConfigKeyArn"], "secrets encrypted with the cluster's key")
		alias := one(t, rec, typeKMSAlias, "cluster-secrets-key-alias")
		assert.Equal(t, "alias/"+cfg.Cluster.Name+"-eks-secrets", alias.Inputs["name"])

		cni := one(t, rec, typeAddon, "cluster-vpc-cni")
		assert.Equal(t, "vpc-cni", cni.Inputs["addonName"])
		assert.JSONEq(t, `{"enableNetworkPolicy":"true"}`, str(cni.Inputs["configurationValues"]))
		assert.Equal(t, "OVERWRITE", cni.Inputs["resolveConflictsOnCreate"])
		assert.Equal(t, "OVERWRITE", cni.Inputs["resolveConflictsOnUpdate"])
		assert.Equal(t, cfg.Cluster.Name, cni.Inputs["clusterName"])
	})
}

// keyIDs are a recorded key's id and ARN as the mocks derive them.
func keyIDs(t *testing.T, rec *offline.Recording, key offline.Resource) (string, string) {
	t.Helper()
	id, out := offline.Derivation{Region: rec.Outputs["region"].(string), AccountID: offline.AccountID}.Resource(key.Type, key.Name, true, nil)
	return id, out["arn"].StringValue()
}

// TestClusterOwnSecretsKey: with cluster.secretsKmsKeyArn the stack creates no key and passes
// that ARN; other settings (retention, no public endpoint) reach their resources.
func TestClusterOwnSecretsKey(t *testing.T) {
	t.Parallel()
	const own = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	k, err := runEdited(t, map[string]string{
		"eventscale:cluster": `{"secretsKmsKeyArn":"` + own + `","logRetentionDays":365,"endpointPublicAccess":false,"logTypes":["audit"]}`,
	})
	require.NoError(t, err)
	rec := k.rec
	for _, r := range append(byType(rec, typeKMSKey), byType(rec, typeKMSAlias)...) {
		assert.NotEqual(t, urnOf(t, rec, cluster.TypeToken, "cluster"), r.Parent, "no key of the cluster's own: %s", r.Name)
	}
	eks := one(t, rec, "eks:index:Cluster", "cluster-eks")
	assert.Equal(t, own, eks.Inputs["encryptionConfigKeyArn"])
	assert.Equal(t, false, eks.Inputs["endpointPublicAccess"])
	assert.Equal(t, []any{"audit"}, eks.Inputs["enabledClusterLogTypes"])
	assert.EqualValues(t, 365, one(t, rec, typeLogGroup, "cluster-log-group").Inputs["retentionInDays"])
}

// TestKarpenterNodeSSM: the node role gets AmazonSSMManagedInstanceCore only with
// karpenter.nodeClass.ssmManagedInstanceCore.
func TestKarpenterNodeSSM(t *testing.T) {
	t.Parallel()
	ssm := "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
	policies := func(rec *offline.Recording) []string {
		var out []string
		for _, r := range byType(rec, typeRoleAttachment) {
			if r.Parent == urnOf(t, rec, "eventscale:karpenter:Karpenter", "karpenter") && slices.Contains([]string{"karpenter-node-role-ssm"}, r.Name) {
				out = append(out, str(r.Inputs["policyArn"]))
			}
		}
		return out
	}
	stacktest.Each(t, func(t *testing.T, stack string) {
		assert.Empty(t, policies(stackRun(t, stack)), "no SSM policy by default")
	})
	k, err := runEdited(t, map[string]string{"eventscale:karpenter": `{"nodeClass":{"ssmManagedInstanceCore":true}}`})
	require.NoError(t, err)
	assert.Equal(t, []string{ssm}, policies(k.rec))
}
