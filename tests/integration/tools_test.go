package integration

import (
	"strings"
	"testing"
)

// TestRunTool: the tool's stdout and stderr come back together, and it sees the extra
// environment on top of this process's.
func TestRunTool(t *testing.T) {
	t.Setenv("EVENTSCALE_RUNTOOL_INHERITED", "from-the-test")
	out := RunTool(t, "/bin/sh", []string{"EVENTSCALE_RUNTOOL_EXTRA=extra"}, "-c",
		`echo "out $EVENTSCALE_RUNTOOL_INHERITED"; echo "err $EVENTSCALE_RUNTOOL_EXTRA" >&2`)
	for _, want := range []string{"out from-the-test\n", "err extra\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("RunTool output %q lacks %q", out, want)
		}
	}
}

// TestToolPath: a set variable is returned as it is; an unset one (outside CI) skips the test
// there, before anything else of it runs.
func TestToolPath(t *testing.T) {
	t.Setenv("EVENTSCALE_TOOL_BIN", "/some/where/tool")
	if got := ToolPath(t, "EVENTSCALE_TOOL_BIN", "make tool"); got != "/some/where/tool" {
		t.Errorf("ToolPath = %q, want /some/where/tool", got)
	}
	t.Setenv("CI", "")
	t.Setenv("EVENTSCALE_TOOL_BIN", "")
	var sub *testing.T
	t.Run("unset", func(t *testing.T) {
		sub = t
		ToolPath(t, "EVENTSCALE_TOOL_BIN", "make tool")
		t.Error("ToolPath returned with the variable unset")
	})
	if !sub.Skipped() {
		t.Error("ToolPath did not skip the test with the variable unset")
	}
}
