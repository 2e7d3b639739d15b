package integration

import (
	"os"
	"testing"
)

// RequirePrerequisite does nothing when err is nil; otherwise it skips t with err, a missing
// prerequisite (a server binary, a tool), or fails t when CI=true: in CI nothing may be missing.
// Every nested test module that needs a binary built outside `go test` calls it.
func RequirePrerequisite(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("prerequisite missing (CI=true, so this fails instead of skipping): %v", err)
	}
	t.Skipf("prerequisite missing: %v", err)
}
