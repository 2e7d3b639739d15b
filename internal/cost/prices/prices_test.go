package prices

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryPriceHasASourceAndADate: each price names AWS's pricing page and where its value was
// read, on a real day; each region either has a value or says why not; keys are unique.
func TestEveryPriceHasASourceAndADate(t *testing.T) {
	t.Parallel()
	read, err := time.Parse(time.DateOnly, Read)
	require.NoError(t, err, "Read must be a date")
	assert.False(t, read.After(time.Now()), "Read %s is in the future", Read)
	seen := map[string]bool{}
	for _, p := range Table {
		assert.False(t, seen[p.Key], "duplicate price %s", p.Key)
		seen[p.Key] = true
		assert.Regexp(t, `^https://aws\.amazon\.com/[a-z0-9/-]+/$`, p.Official, "%s: AWS's pricing page", p.Key)
		assert.NotEmpty(t, strings.TrimSpace(p.Source), "%s: where its values were read", p.Key)
		assert.NotEmpty(t, p.Unit, p.Key)
		for _, r := range Regions {
			v, ok := p.In(r)
			if ok {
				assert.Positive(t, v, "%s in %s", p.Key, r)
			} else {
				assert.NotEmpty(t, p.Missing, "%s has no %s value and does not say why", p.Key, r)
			}
		}
		for r := range p.PerRegion {
			assert.Contains(t, Regions, r, "%s: a region the table does not cover", p.Key)
		}
	}
}
