package kube

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTypeToken(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "kubernetes:core/v1:Namespace", TypeToken("v1", "Namespace"))
	assert.Equal(t, "kubernetes:apps/v1:Deployment", TypeToken("apps/v1", "Deployment"))
	assert.Equal(t, "kubernetes:keda.sh/v1alpha1:ScaledObject", TypeToken("keda.sh/v1alpha1", "ScaledObject"))
}

type testObj struct {
	APIVersion string            `json:"apiVersion"`
	Replicas   int               `json:"replicas"`
	Ratio      float64           `json:"ratio"`
	On         bool              `json:"on"`
	URL        string            `json:"url"`
	Items      []string          `json:"items"`
	Labels     map[string]string `json:"labels"`
	Skipped    *string           `json:"skipped"`
}

func TestToInputsBindsWholeLeaves(t *testing.T) {
	t.Parallel()
	var b Bindings
	url := pulumi.String("https://example").ToStringOutput()
	p := b.Bind(url)
	in, err := ToInputs(testObj{APIVersion: "v1", Replicas: 3, Ratio: 0.5, On: true, URL: p, Items: []string{"a", p}, Labels: map[string]string{"k": p}}, &b)
	require.NoError(t, err)
	assert.Equal(t, pulumi.String("v1"), in["apiVersion"])
	assert.Equal(t, pulumi.Int(3), in["replicas"])
	assert.Equal(t, pulumi.Float64(0.5), in["ratio"])
	assert.Equal(t, pulumi.Bool(true), in["on"])
	assert.Equal(t, pulumi.Input(url), in["url"], "the bound output itself, not a copy of its text")
	assert.Equal(t, pulumi.Array{pulumi.String("a"), url}, in["items"])
	assert.Equal(t, pulumi.Map{"k": url}, in["labels"])
	assert.NotContains(t, in, "skipped", "nulls are dropped")
}

func TestToInputsRefusesEmbeddedPlaceholder(t *testing.T) {
	t.Parallel()
	var b Bindings
	p := b.Bind(pulumi.String("x"))
	_, err := ToInputs(testObj{URL: "prefix-" + p}, &b)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "url: a bound output is embedded in a longer string")
}

func TestToInputsUnboundPlaceholderFromOtherBindings(t *testing.T) {
	t.Parallel()
	var b1, b2 Bindings
	p := b1.Bind(pulumi.String("x"))
	_, err := ToInputs(testObj{URL: p}, &b2)
	require.Error(t, err)
}
