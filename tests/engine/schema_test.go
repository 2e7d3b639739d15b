package engine

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/eventscale/eventscale/tests/engine/awsstandin"
)

// TestEngineEnforcesTheConfigSchema: Pulumi.yaml declares each section's type; a stack value of
// another type is refused by the engine itself, with its own message naming the stack, the key
// and the type, before the program runs (no resource is registered, no provider is asked
// anything). Both shipped stack files pass the same check (the first preview of TestLifecycle).
func TestEngineEnforcesTheConfigSchema(t *testing.T) {
	t.Parallel()
	w, _, _ := newTestWorld(t, nil)
	for _, c := range []struct {
		key, value, want string
	}{
		{"network", "10.0.0.0/16", "Stack 'dev' with configuration key 'network' must be of type 'object'"},
		{"workloads", "worker", "Stack 'dev' with configuration key 'workloads' must be of type 'array<object>'"},
	} {
		t.Run(c.key, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			s, err := w.Stack(ctx, "dev")
			if err != nil {
				t.Fatal(err)
			}
			before := readOps(t, w.AWSLog)
			if err := s.SetConfig(ctx, c.key, auto.ConfigValue{Value: c.value}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := s.RemoveConfig(ctx, c.key); err != nil {
					t.Error(err)
				}
			}()
			p, _, out, err := preview(ctx, s)
			if err == nil {
				t.Fatalf("the engine accepted %s = %q:\n%s", c.key, c.value, tail(out, 40))
			}
			if !strings.Contains(err.Error()+out, c.want) {
				t.Errorf("want %q in the engine's refusal:\n%v\n%s", c.want, err, tail(out, 40))
			}
			if len(p.steps) > 0 {
				t.Errorf("the program ran: %d steps previewed", len(p.steps))
			}
			after := readOps(t, w.AWSLog)
			if len(after) != len(before) {
				t.Errorf("the aws provider was asked %d things: %v", len(after)-len(before), after[len(before):])
			}
		})
	}
}

// readOps is the stand-in aws provider's operation log so far (none before it first starts).
func readOps(t *testing.T, path string) []awsstandin.Op {
	t.Helper()
	ops, err := awsstandin.ReadLog(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return ops
}
