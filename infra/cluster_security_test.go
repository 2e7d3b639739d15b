package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClusterSecretsKeyPolicy: the account administers the key through IAM (KMS's default
// statement), the cluster role may use it for the secrets, and no one else is named.
func TestClusterSecretsKeyPolicy(t *testing.T) {
	t.Parallel()
	role := "arn:aws:iam::123456789012:role/cluster-eks-eksRole-role-1234567"
	var doc struct {
		Statement []struct {
			Sid       string
			Effect    string
			Principal map[string]any
			Action    []string
			Resource  []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(ClusterSecretsKeyPolicy("aws", "123456789012", role).JSON()), &doc))
	require.Len(t, doc.Statement, 2)
	root, use := doc.Statement[0], doc.Statement[1]
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::123456789012:root"}, root.Principal)
	assert.Equal(t, []string{"kms:*"}, root.Action)
	assert.Equal(t, map[string]any{"AWS": role}, use.Principal)
	assert.ElementsMatch(t, []string{"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ListGrants"}, use.Action)
	for _, s := range doc.Statement {
		assert.Equal(t, "Allow", s.Effect)
		assert.Equal(t, []string{"*"}, s.Resource, "a key policy's resource is the key itself")
	}
	assert.Contains(t, ClusterSecretsKeyPolicy("aws-cn", "123456789012", role).JSON(), `"arn:aws-cn:iam::123456789012:root"`)
}

func TestDocumentationRange(t *testing.T) {
	t.Parallel()
	for cidr, want := range map[string]string{
		"192.0.2.0/24": "192.0.2.0/24", "198.51.100.0/24": "198.51.100.0/24", "203.0.113.0/24": "203.0.113.0/24",
		"203.0.113.5/32": "203.0.113.0/24", "198.51.100.128/25": "198.51.100.0/24",
		"192.0.0.0/16": "", "0.0.0.0/0": "", "198.18.0.0/24": "", "not a cidr": "",
	} {
		d, ok := DocumentationRange(cidr)
		assert.Equal(t, want != "", ok, cidr)
		if ok {
			assert.Equal(t, want, d.String(), cidr)
		}
	}
}

func TestClusterNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "/aws/eks/eventscale-prod/cluster", ClusterLogGroupName("eventscale-prod"))
	assert.Equal(t, "alias/eventscale-prod-eks-secrets", SecretsKeyAlias("eventscale-prod"))
	assert.JSONEq(t, `{"enableNetworkPolicy":"true"}`, VpcCniConfiguration)
	assert.True(t, KMSKeyArnRe.MatchString("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
	assert.False(t, KMSKeyArnRe.MatchString("arn:aws:kms:us-east-1:123456789012:alias/eks"))
}
