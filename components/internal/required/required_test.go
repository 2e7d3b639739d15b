package required

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
)

func TestCheckKeepsOrderAndNamesEachMissingValue(t *testing.T) {
	t.Parallel()
	var c Check
	assert.NoError(t, c.Err())
	c.Strings("B", "", "A", "set", "C", "")
	c.Input("Arn", nil)
	c.Input("Url", pulumi.String("https://example"))
	c.That(false, "Provider is required")
	c.That(true, "never")
	assert.EqualError(t, c.Err(), "B is required\nC is required\nArn is required\nProvider is required")
	assert.Panics(t, func() { c.Strings("odd") })
}
