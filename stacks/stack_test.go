package stacks

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noResources is a resource monitor for programs that must fail before registering anything.
type noResources struct{ t *testing.T }

func (m noResources) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.t.Errorf("registered %s %q before the configuration was refused", args.TypeToken, args.Name)
	return "", args.Inputs, nil
}

func (m noResources) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.t.Errorf("invoked %s before the configuration was refused", args.Token)
	return resource.PropertyMap{}, nil
}

// withConfig hands the program its configuration the way the Automation API hands it to an
// inline program: in the run's info, with no PULUMI_CONFIG in the environment.
func withConfig(raw map[string]string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) { info.Config = raw }
}

func engineConfig(t *testing.T, raw map[string]string) map[string]string {
	t.Helper()
	var got map[string]string
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var err error
		got, err = EngineConfig(ctx)
		return err
	}, pulumi.WithMocks(Namespace, "dev", noResources{t}), withConfig(raw))
	require.NoError(t, err)
	return got
}

var engineRaw = map[string]string{
	"aws:region":           "us-west-2",
	"eventscale:network":   `{"azCount":2}`,
	"eventscale:workloads": `[]`,
	"eventscale:netwrok":   `{}`,
	"kubernetes:context":   "ignored",
}

func TestEngineConfigReadsTheKeysTheProgramKnowsFromTheContext(t *testing.T) {
	t.Setenv(pulumi.EnvConfig, "")
	assert.Equal(t, map[string]string{
		"aws:region":           "us-west-2",
		"eventscale:network":   `{"azCount":2}`,
		"eventscale:workloads": `[]`,
	}, engineConfig(t, engineRaw))
}

func TestEngineConfigTakesUnknownProjectKeysFromTheEnginesEnvironment(t *testing.T) {
	b, err := json.Marshal(engineRaw)
	require.NoError(t, err)
	t.Setenv(pulumi.EnvConfig, string(b))
	got := engineConfig(t, engineRaw)
	assert.Equal(t, `{}`, got["eventscale:netwrok"])
	assert.NotContains(t, got, "kubernetes:context")
	_, err = Load(got, Namespace, "dev")
	assert.ErrorContains(t, err, `unknown config key "eventscale:netwrok"`)
}

func TestEngineConfigRefusesAMalformedEnvironment(t *testing.T) {
	t.Setenv(pulumi.EnvConfig, "{not json")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := EngineConfig(ctx)
		return err
	}, pulumi.WithMocks(Namespace, "dev", noResources{t}))
	assert.ErrorContains(t, err, "reading PULUMI_CONFIG from the Pulumi engine")
}

// TestRunReadsTheInlineProgramsConfiguration: Run, the program's entry point, refuses a bad value
// it can only have read from the run's info (nothing is in the environment), before anything
// is registered.
func TestRunReadsTheInlineProgramsConfiguration(t *testing.T) {
	t.Setenv(pulumi.EnvConfig, "")
	err := pulumi.RunErr(Run, pulumi.WithMocks(Namespace, "dev", noResources{t}), withConfig(map[string]string{
		"aws:region":         "us-west-2",
		"eventscale:network": `{"azCount":"two"}`,
	}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `invalid configuration of stack "dev" (nothing was created)`)
	assert.Contains(t, err.Error(), "eventscale:network")
}
