package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eventscale/eventscale/tests/integration"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
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

	client := startProvider(t, bin)
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

	info, err := startProvider(t, bin).GetPluginInfo(t.Context(), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("GetPluginInfo: %v", err)
	}
	if info.GetVersion() != want {
		t.Errorf("GetPluginInfo version = %q, want %q (tools/eks/package.json)", info.GetVersion(), want)
	}
}

// startProvider starts the provider plugin bin the way the engine does, without an engine
// address: it listens on a port of 127.0.0.1 and prints the port on stdout. It returns a client
// over that port. At the end of the test the plugin is sent SIGTERM and must exit; it runs in
// its own process group, which is killed if it has not, and it dies with the test process
// (Pdeathsig).
func startProvider(t *testing.T, bin string) pulumirpc.ResourceProviderClient {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "PULUMI_HOME="+t.TempDir())
	logPath := filepath.Join(t.TempDir(), "stderr.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() // the child has its own copy
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if err := stopProcess(cmd, done); err != nil {
			t.Errorf("stopping %s: %v", bin, err)
		}
		if t.Failed() {
			if log, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s stderr:\n%s", bin, log)
			}
		}
	})

	port := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil && line == "" {
			line = "error: " + err.Error()
		}
		port <- strings.TrimSpace(line)
	}()
	var p string
	select {
	case p = <-port:
	case err := <-done:
		t.Fatalf("%s exited before printing its port: %v", bin, err)
	case <-t.Context().Done():
		t.Fatalf("%s printed no port", bin)
	}
	if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
		t.Fatalf("%s printed %q on stdout, want its gRPC port", bin, p)
	}
	// Kubernetes' schema (5 MB) exceeds gRPC's default 4 MB: allow what the engine allows
	// (400 MB, maxRPCMessageSize in sdk/v3 go/common/util/rpcutil/serve.go).
	conn, err := grpc.NewClient("127.0.0.1:"+p,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(400<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pulumirpc.NewResourceProviderClient(conn)
}

// stopProcess sends SIGTERM to cmd and waits for it (done receives cmd.Wait's result). A
// process that has not exited after a minute is killed, with its group, and reported.
func stopProcess(cmd *exec.Cmd, done <-chan error) error {
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }() // the group may be gone already
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err == nil || (errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM) {
			return nil
		}
		return err
	case <-ctx.Done():
		return fmt.Errorf("still running a minute after SIGTERM")
	}
}
