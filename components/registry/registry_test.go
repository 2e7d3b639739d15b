package registry

import (
	"testing"

	"github.com/eventscale/eventscale/components/internal/required/requiredtest"
	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		Name: "eventscale-test/worker",
		RegistrySettings: infra.RegistrySettings{
			ImageTagMutability: infra.ImmutableTags, KeepTaggedImages: 30, UntaggedExpiryDays: 14,
		},
	}
}

// TestArgsValidate: only presence is checked, and the messages come in a fixed order. The
// mutability's values and the counts' ranges are stacks.Validate's, under the config keys.
func TestArgsValidate(t *testing.T) {
	t.Parallel()
	requiredtest.Run(t, kind, validArgs, []string{"Name is required", "ImageTagMutability is required"},
		requiredtest.C("no mutability", requiredtest.Without(validArgs, func(a *Args) { a.ImageTagMutability = "" }), []string{"ImageTagMutability is required"}),
		requiredtest.C("no tagged image kept: stacks' rule, not checked here", requiredtest.Without(validArgs, func(a *Args) { a.KeepTaggedImages = 0 }), nil),
	)
}
