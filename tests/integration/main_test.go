package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/version"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
)

// stacksUnderTest are the program's stacks (Pulumi.<stack>.yaml at the repo root) and the
// variants below.
var stacksUnderTest = []string{"dev", "prod", "dev-karpenter-namespace"}

// stackVariant is a stack file with some config keys replaced.
type stackVariant struct {
	file  string            // Pulumi.<file>.yaml
	edits map[string]string // raw config keys replaced
}

// stackVariants cover what neither stack file does. Both run Karpenter in kube-system (the
// default); "dev-karpenter-namespace" runs it in its own namespace, so the program also sends
// that Namespace and upstream's two FlowSchemas, which must reach the real API server too.
var stackVariants = map[string]stackVariant{
	"dev-karpenter-namespace": {file: "dev", edits: map[string]string{
		"eventscale:karpenter": `{"namespace":"karpenter"}`,
		"eventscale:fargate":   `{"namespaces":["kube-system","karpenter","keda"]}`,
	}},
}

// runProgram runs the real program for a stack file or a variant on the offline mocks.
func runProgram(name string) (*offline.Recording, error) {
	v, ok := stackVariants[name]
	if !ok {
		return offline.RunStackFile(RepoRoot(), name)
	}
	raw, err := stacks.ReadStackFile(filepath.Join(RepoRoot(), "Pulumi."+v.file+".yaml"))
	if err != nil {
		return nil, err
	}
	for k, val := range v.edits {
		raw[k] = val
	}
	return offline.Run(v.file, raw, offline.Options{})
}

// The clusters this process started, stopped by TestMain and on SIGINT/SIGTERM.
var (
	clustersMu sync.Mutex
	clusters   []*Cluster
)

func TestMain(m *testing.M) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		stopClusters()
		fmt.Fprintf(os.Stderr, "integration: %v: servers stopped, temporary folders removed\n", s)
		os.Exit(2)
	}()
	if os.Getenv(helperEnv) != "" {
		runHelper() // never returns
	}
	code := m.Run()
	stopClusters()
	os.Exit(code)
}

func stopClusters() {
	clustersMu.Lock()
	defer clustersMu.Unlock()
	for _, c := range clusters {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "integration: stopping cluster %s: %v\n", c.Dir, err)
		}
	}
	clusters = nil
}

// stackEnv is one stack deployed to its own cluster, shared by the tests of
// this process (the stack is deployed once).
type stackEnv struct {
	once    sync.Once
	skip    string
	fail    string
	cluster *Cluster
	client  *Client
	stack   *Stack
	dep     *Deployment
	version *version.Info
	elapsed time.Duration
}

var (
	envsMu sync.Mutex
	envs   = map[string]*stackEnv{}
)

// loadStack runs the real program for a stack on the offline mocks.
func loadStack(t *testing.T, name string) *Stack {
	t.Helper()
	rec, err := runProgram(name)
	if err != nil {
		t.Fatalf("running the program for stack %s: %v", name, err)
	}
	s, err := Collect(rec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// deployed returns the stack deployed to a fresh cluster: started, CRDs and
// charts installed, every object applied (see [Deploy]). Apply failures are
// in the returned Deployment for the caller to assert on.
func deployed(t *testing.T, name string) *stackEnv {
	t.Helper()
	envsMu.Lock()
	e, ok := envs[name]
	if !ok {
		e = &stackEnv{}
		envs[name] = e
	}
	envsMu.Unlock()
	e.once.Do(func() { e.setup(t, name) })
	if e.skip != "" {
		RequirePrerequisite(t, errors.New(e.skip))
	}
	if e.fail != "" {
		t.Fatalf("deploying stack %s: %s", name, e.fail)
	}
	return e
}

func (e *stackEnv) setup(t *testing.T, name string) {
	// Prerequisites first, so a machine without them skips (or fails in CI) clearly.
	for _, f := range []func() (string, error){KubeAPIServerPath, EtcdPath} {
		if _, err := f(); err != nil {
			e.skip = err.Error()
			return
		}
	}
	start := time.Now()
	rec, err := runProgram(name)
	if err != nil {
		e.fail = fmt.Sprintf("running the program: %v", err)
		return
	}
	if e.stack, err = Collect(rec); err != nil {
		e.fail = err.Error()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Logf: t.Logf})
	if c != nil {
		clustersMu.Lock()
		clusters = append(clusters, c)
		clustersMu.Unlock()
	}
	if err != nil {
		e.fail = fmt.Sprintf("starting etcd and kube-apiserver: %v", err)
		return
	}
	e.cluster = c
	if e.client, err = NewClient(c.Config); err != nil {
		e.fail = err.Error()
		return
	}
	if e.version, err = e.client.ServerVersion(); err != nil {
		e.fail = fmt.Sprintf("GET /version: %v", err)
		return
	}
	kubeVersion := strings.TrimPrefix(e.version.GitVersion, "v")
	e.dep, err = Deploy(ctx, e.client, e.stack, DeployOptions{KubeVersion: kubeVersion, Logf: t.Logf})
	if err != nil {
		e.fail = err.Error()
		return
	}
	e.elapsed = time.Since(start)
	t.Logf("stack %s: %d objects applied to kube-apiserver %s in %s (program run, server start, CRDs, charts, objects)",
		name, len(e.dep.Applied), e.version.GitVersion, e.elapsed.Round(time.Millisecond))
}
