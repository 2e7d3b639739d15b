package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/eventscale/eventscale/tests/engine/providertest"
	"github.com/eventscale/eventscale/tests/integration"
)

// envKubernetesVersion, when set, is the exact version the Kubernetes provider must report
// (make/engine.mk's ENGINE_KUBERNETES_VERSION); without it the test checks the commit part. The
// tools themselves are named by EnvPulumi, EnvKubernetes and EnvEKS (engine.go).
const envKubernetesVersion = "PULUMI_KUBERNETES_VERSION"

// toolsTarget is the make target that builds the three tools and runs these tests with their
// paths set.
const toolsTarget = "make test-engine-tools"

func TestToolPulumiVersion(t *testing.T) {
	bin := integration.ToolPath(t, EnvPulumi, toolsTarget)
	want := integration.ToolVersion(t, filepath.Join("tools", "pulumi", "go.mod"), "github.com/pulumi/pulumi/pkg/v3")
	out := integration.RunTool(t, bin, []string{"PULUMI_SKIP_UPDATE_CHECK=true", "PULUMI_HOME=" + t.TempDir()}, "version")
	if got := strings.TrimSpace(out); got != want {
		t.Errorf("%s version = %q, want %q (tools/pulumi/go.mod)", bin, got, want)
	}
}

// pseudoVersion matches a Go pseudo-version vX.0.0-<yyyymmddhhmmss>-<commit>.
var pseudoVersion = regexp.MustCompile(`^v\d+\.0\.0-(\d{14})-([0-9a-f]{12})$`)

func TestToolKubernetesProvider(t *testing.T) {
	bin := integration.ToolPath(t, EnvKubernetes, toolsTarget)
	pseudo := integration.ToolVersion(t, filepath.Join("tools", "kubernetes", "go.mod"), "github.com/pulumi/pulumi-kubernetes/provider/v4")
	m := pseudoVersion.FindStringSubmatch(pseudo)
	if m == nil {
		t.Fatalf("tools/kubernetes/go.mod requires %s, not a pseudo-version", pseudo)
	}
	at, err := time.Parse("20060102150405", m[1])
	if err != nil {
		t.Fatal(err)
	}
	// The build stamps the commit as Pulumi's builds do: <next release>-alpha.<unix>+<commit>.
	want := regexp.MustCompile(`^\d+\.\d+\.\d+-alpha\.` + strconv.FormatInt(at.Unix(), 10) + `\+` + m[2] + `$`)

	client := providertest.Start(t, bin)
	info, err := client.GetPluginInfo(t.Context(), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("GetPluginInfo: %v", err)
	}
	if !want.MatchString(info.GetVersion()) {
		t.Errorf("GetPluginInfo version = %q, want %s (the commit of %s)", info.GetVersion(), want, pseudo)
	}
	if exact := os.Getenv(envKubernetesVersion); exact != "" && info.GetVersion() != exact {
		t.Errorf("GetPluginInfo version = %q, want %q (%s)", info.GetVersion(), exact, envKubernetesVersion)
	}
	// The schema is the generated schema-embed.json, which carries the same version.
	resp, err := client.GetSchema(t.Context(), &pulumirpc.GetSchemaRequest{})
	if err != nil {
		t.Fatalf("GetSchema: %v", err)
	}
	var schema struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(resp.GetSchema()), &schema); err != nil {
		t.Fatalf("GetSchema: %v", err)
	}
	if schema.Name != "kubernetes" || schema.Version != info.GetVersion() {
		t.Errorf("schema name, version = %q, %q; want %q, %q", schema.Name, schema.Version, "kubernetes", info.GetVersion())
	}
}

func TestToolEksProvider(t *testing.T) {
	bin := integration.ToolPath(t, EnvEKS, toolsTarget)
	data, err := os.ReadFile(filepath.Join("tools", "eks", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	want := pkg.Dependencies["@pulumi/eks"]

	info, err := providertest.Start(t, bin).GetPluginInfo(t.Context(), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("GetPluginInfo: %v", err)
	}
	if info.GetVersion() != want {
		t.Errorf("GetPluginInfo version = %q, want %q (tools/eks/package.json)", info.GetVersion(), want)
	}
}
