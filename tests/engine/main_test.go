package engine

import (
	"os"
	"sync"
	"testing"

	"github.com/eventscale/eventscale/tests/engine/awsstandin"
)

// standIns are the stand-in aws provider and commands, built on first use (a run whose tests
// all skip builds nothing) and shared by every world of this run; TestMain removes them.
var standIns struct {
	once sync.Once
	dir  string
	bins awsstandin.Binaries
	err  error
}

// sharedStandIns builds the stand-ins the first time it is called and returns them.
func sharedStandIns(t *testing.T) awsstandin.Binaries {
	t.Helper()
	standIns.once.Do(func() {
		if standIns.dir, standIns.err = os.MkdirTemp("", "eventscale-engine-standins-"); standIns.err == nil {
			standIns.bins, standIns.err = awsstandin.Build(standIns.dir)
		}
	})
	if standIns.err != nil {
		t.Fatal(standIns.err)
	}
	return standIns.bins
}

func TestMain(m *testing.M) {
	code := m.Run()
	if standIns.dir != "" {
		os.RemoveAll(standIns.dir)
	}
	os.Exit(code)
}
