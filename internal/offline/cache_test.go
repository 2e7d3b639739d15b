package offline

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCacheRunsEachKeyOnce(t *testing.T) {
	t.Parallel()
	var c Cache
	var calls atomic.Int32
	run := func() (*Recording, error) { calls.Add(1); return &Recording{Stack: "a"}, nil }
	var wg sync.WaitGroup
	recs := make([]*Recording, 8)
	for i := range recs {
		wg.Go(func() { recs[i], _ = c.Get("a", run) })
	}
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
	for _, r := range recs {
		assert.Same(t, recs[0], r, "every caller shares the one recording")
	}
	failed := errors.New("boom")
	_, err := c.Get("b", func() (*Recording, error) { return nil, failed })
	assert.ErrorIs(t, err, failed)
	_, err = c.Get("b", func() (*Recording, error) { t.Error("a failed run is not repeated"); return nil, nil })
	assert.ErrorIs(t, err, failed)
	assert.Equal(t, int32(1), calls.Load(), "key b does not run key a's function")
}
