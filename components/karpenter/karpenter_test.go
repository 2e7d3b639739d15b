package karpenter

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArgsValidate(t *testing.T) {
	t.Parallel()
	var nilArgs *Args
	require.EqualError(t, nilArgs.validate(), "args are required")

	err := (&Args{}).validate()
	require.Error(t, err)
	for _, want := range []string{
		"ClusterName is required", "ClusterEndpoint is required", "OidcProviderArn is required", "OidcProviderURL is required",
		"Provider is required", "Partition is required", "Region is required", "AccountID is required",
		"Namespace is required", "ServiceAccount is required", "NodePool.Name is required", "NodeClass.Name is required",
		"NodeClass.AmiAlias is required",
		"NodePool.CapacityTypes and NodePool.Architectures must not be empty",
	} {
		assert.Contains(t, err.Error(), want)
	}

	partial := &Args{ClusterName: pulumi.String("c"), Replicas: 2}
	err = partial.validate()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "ClusterName is required")
}
