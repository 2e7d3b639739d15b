// Package requiredtest runs the table tests of the components' Args.validate: each case builds
// Args and lists the messages validate must return, in order (none: valid).
package requiredtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Case is one Args.validate case.
type Case[A any] struct {
	Name string
	Args func() A
	// Want are the messages, in order; nil means the Args are valid.
	Want []string
}

// Run runs every case in parallel against validate (typically the method expression
// (*Args).validate) and asserts the exact messages and their order.
func Run[A any](t *testing.T, validate func(A) error, cases []Case[A]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			err := validate(tc.Args())
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
func C[A any](name string, args func() A, want []string) Case[A] {
	return Case[A]{Name: name, Args: args, Want: want}
}
