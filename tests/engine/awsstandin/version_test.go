package awsstandin

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"
)

// requiredVersion is the version of module path in the require lines of the go.mod at file.
func requiredVersion(t *testing.T, file, path string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require ")); len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	t.Fatalf("%s requires no %s", file, path)
	return ""
}

// TestPluginReportsTheProgramsPulumiAWSVersion: the plugin's GetPluginInfo is the pulumi-aws SDK
// version the program's go.mod requires.
func TestPluginReportsTheProgramsPulumiAWSVersion(t *testing.T) {
	t.Parallel()
	want := requiredVersion(t, "../../../go.mod", "github.com/pulumi/pulumi-aws/sdk/v6")
	info, err := startPlugin(t).GetPluginInfo(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, want, "v"+info.GetVersion())
}
