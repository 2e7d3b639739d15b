// Package requiredtest runs the table tests of the components' Args.validate: each case builds
// Args and lists the messages validate must return, in order (none: valid).
package requiredtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/components/internal/component"
)

// Case is one Args.validate case; A is the Args struct, passed as *A.
type Case[A any] struct {
	Name string
	Args func() *A
	// Want are the messages, in order; nil means the Args are valid.
	Want []string
}

// Run runs the table test of a component's presence checks (kind.Validate): first the three
// cases every component has, nil Args ("<kind.Name>: args are required"), the valid Args, and
// empty Args, which must give exactly the messages of empty in that order (every check the
// component makes); then the component's own cases. Each runs in parallel and asserts the exact
// messages and their order.
func Run[A any](t *testing.T, kind component.Kind[A], valid func() *A, empty []string, cases ...Case[A]) {
	t.Helper()
	all := append([]Case[A]{
		C("nil", Nil[A], []string{kind.Name + ": args are required"}),
		C("valid", valid, nil),
		C("empty", Zero[A], empty),
	}, cases...)
	for _, tc := range all {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			err := kind.Validate(tc.Args())
			if tc.Want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.Want, strings.Split(err.Error(), "\n"))
		})
	}
}

// C is a Case: C(name, args, want).
func C[A any](name string, args func() *A, want []string) Case[A] {
	return Case[A]{Name: name, Args: args, Want: want}
}

// Nil builds no Args at all (a nil *A), for the "args are required" case.
func Nil[A any]() *A { return nil }

// Zero builds Args with every field empty.
func Zero[A any]() *A { return new(A) }

// Without builds valid Args (a fresh value from valid each time) and then breaks them with
// change: Without(validArgs, func(a *Args) { a.AccountID = "" }).
func Without[A any](valid func() *A, change func(*A)) func() *A {
	return func() *A {
		a := valid()
		change(a)
		return a
	}
}
