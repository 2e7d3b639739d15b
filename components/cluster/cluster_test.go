package cluster

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/required/requiredtest"
	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		ClusterSettings: infra.ClusterSettings{Name: "eventscale-test", Version: "1.35"},
		VpcID:           pulumi.String("vpc-1"), PrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-1", "subnet-2"}),
		Fargate:   infra.FargateSettings{Namespaces: []string{"kube-system", "keda"}},
		Partition: "aws", Region: "us-west-2", AccountID: "123456789012",
	}
}

// TestArgsValidate: only presence is checked, and the messages come in a fixed order. Repeated
// admin ARNs and the Fargate namespace count are stacks.Validate's, under the config keys.
func TestArgsValidate(t *testing.T) {
	t.Parallel()
	requiredtest.Run(t, kind, validArgs, []string{
		"Name is required", "Version is required",
		"Partition is required", "Region is required", "AccountID is required",
		"VpcID and PrivateSubnetIDs are required",
		"Fargate.Namespaces is required: the Fargate profile needs at least one namespace",
	},
		requiredtest.C("no subnets", requiredtest.Without(validArgs, func(a *Args) { a.PrivateSubnetIDs = nil }), []string{"VpcID and PrivateSubnetIDs are required"}),
		requiredtest.C("repeated admin and six namespaces: stacks' rules, not checked here", requiredtest.Without(validArgs, func(a *Args) {
			a.AdminPrincipalArns = []string{"arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/a"}
			a.Fargate.Namespaces = []string{"a", "b", "c", "d", "e", "f"}
		}), nil),
	)
}

// TestNoReadOfCore: no Go source of the program reads the pulumi-eks component's `core` output
// (see New: pulumi-eks 2.8.1's Go SDK fails to decode it whenever it holds an access entry).
func TestNoReadOfCore(t *testing.T) {
	t.Parallel()
	read := regexp.MustCompile(`\.Core\b`)
	root := filepath.Join("..", "..")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "tests" || d.Name() == "out" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for i, line := range strings.Split(string(src), "\n") {
			if code, _, _ := strings.Cut(line, "//"); read.MatchString(code) {
				t.Errorf("%s:%d reads the pulumi-eks component's core: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("scanned %d Go files under %s: not the program's tree", n, root)
	}
}
