// Package required is the presence check every component's Args.validate makes. Each missing
// value adds one message, in the order the checks are made, so a component's errors always come
// out in the same order. Rules a user can break (ranges, formats, cross-field rules) are not
// checked here: they are stacks.Validate's, which names the config key and quotes the value.
package required

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Check collects the missing values of one Args. The zero value is ready to use.
type Check struct{ errs []error }

// Strings adds "<name> is required" for every empty value; pairs are name, value, name, value, ...
func (c *Check) Strings(pairs ...string) {
	if len(pairs)%2 != 0 {
		panic("required: Strings takes name, value pairs")
	}
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			c.errs = append(c.errs, fmt.Errorf("%s is required", pairs[i]))
		}
	}
}

// Input adds "<name> is required" when v is nil (an input that comes from another resource).
func (c *Check) Input(name string, v pulumi.Input) {
	if v == nil {
		c.errs = append(c.errs, fmt.Errorf("%s is required", name))
	}
}

// That adds msg when ok is false, for a presence rule with its own message.
func (c *Check) That(ok bool, msg string) {
	if !ok {
		c.errs = append(c.errs, errors.New(msg))
	}
}

// Err is every message so far, joined, or nil.
func (c *Check) Err() error { return errors.Join(c.errs...) }
