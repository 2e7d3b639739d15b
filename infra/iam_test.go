package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIRSATrustIsExact(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"https://oidc.eks.us-west-2.amazonaws.com/id/ABC", "oidc.eks.us-west-2.amazonaws.com/id/ABC"} {
		doc := IRSATrust("arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC", url, "keda", "keda-operator")
		assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
			"Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC"},
			"Action":["sts:AssumeRoleWithWebIdentity"],
			"Condition":{"StringEquals":{
				"oidc.eks.us-west-2.amazonaws.com/id/ABC:sub":"system:serviceaccount:keda:keda-operator",
				"oidc.eks.us-west-2.amazonaws.com/id/ABC:aud":"sts.amazonaws.com"}}}]}`, doc.JSON(), url)
	}
}

func TestPolicyJSONRoundTrips(t *testing.T) {
	t.Parallel()
	doc := NewPolicy(Statement{Sid: "A", Effect: "Allow", Action: []string{"sqs:GetQueueAttributes"}, Resource: []string{"arn:aws:sqs:us-west-2:1:q"}})
	var back PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(doc.JSON()), &back))
	assert.Equal(t, doc, back)
	assert.NotContains(t, doc.JSON(), "Principal", "empty fields are omitted")
}

func TestFargatePodExecutionTrust(t *testing.T) {
	t.Parallel()
	doc := FargatePodExecutionTrust("aws-cn", "cn-north-1", "111122223333", "c1")
	require.Len(t, doc.Statement, 1)
	assert.Equal(t, "arn:aws-cn:eks:cn-north-1:111122223333:fargateprofile/c1/*", doc.Statement[0].Condition["ArnLike"]["aws:SourceArn"])
	assert.Equal(t, "arn:aws-cn:iam::aws:policy/X", ManagedPolicyArn("aws-cn", "X"))
}

func TestOIDCProviderArn(t *testing.T) {
	t.Parallel()
	want := "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC"
	assert.Equal(t, want, OIDCProviderArn("aws", "123456789012", "https://oidc.eks.us-west-2.amazonaws.com/id/ABC"))
	assert.Equal(t, want, OIDCProviderArn("aws", "123456789012", "oidc.eks.us-west-2.amazonaws.com/id/ABC"))
}
