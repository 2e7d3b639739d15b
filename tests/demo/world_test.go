package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/sqstest"
	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/integration"
	"github.com/eventscale/eventscale/tests/verify"
)

// kwokNodeClass is the node class the demo's NodePool points at instead of the program's
// EC2NodeClass: the only change made to the program's objects (said in the test output).
const kwokNodeClass = "default"

// demoControllers is kube-controller-manager's --controllers here: every default controller
// ("*"), the node controllers included, since kwok keeps the nodes' heartbeats and the
// node-lifecycle controller is what lifts the node.kubernetes.io/not-ready taint that
// admission puts on every new Node; without the controllers that need a cloud provider, pod
// CIDRs or volume attachment (none of which exist here; the names are in
// k8s.io/kubernetes@v1.35.4/cmd/kube-controller-manager/names/controller_names.go).
var demoControllers = []string{
	"*",
	"-node-ipam-controller",
	"-persistentvolume-attach-detach-controller",
	"-service-lb-controller",
	"-cloud-node-lifecycle-controller",
	"-node-route-controller",
}

// world is one demo cluster: the real control plane (etcd, kube-apiserver with the aggregation
// layer, kube-controller-manager, kube-scheduler), the real KEDA operator and metrics adapter,
// Karpenter's kwok provider, kwok playing the kubelets, moto playing SQS, and one real worker
// process per Running worker pod.
type world struct {
	t       *testing.T
	cluster *integration.Cluster
	client  *integration.Client
	kube    *kubernetes.Clientset
	dyn     dynamic.Interface
	moto    *sqstest.Server
	sqs     *sqs.Client
	workers *Workers
	dir     string
	// stack is the program's run for this world's config; objects its Kubernetes objects.
	stack *integration.Stack
	// queueURL and dlqURL are the workload's queues on moto.
	queueURL, dlqURL string
	// namespace and deployment name the workload.
	namespace, deployment string
	// applied are the program's objects applyStack applied, by URN (what a destroy deletes).
	applied map[string]map[string]any
	start   time.Time
}

// stackRun runs the program on the offline mocks for Pulumi.<file>.yaml with some raw config
// keys replaced, and collects its Kubernetes objects.
func stackRun(t *testing.T, file string, edits map[string]string) (*offline.Recording, *integration.Stack) {
	t.Helper()
	raw, err := stacks.ReadStackFile(filepath.Join(integration.RepoRoot(), "Pulumi."+file+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range edits {
		raw[k] = v
	}
	rec, err := offline.Run(file, raw, offline.Options{})
	if err != nil {
		t.Fatalf("running the program for %s with %v: %v", file, edits, err)
	}
	s, err := integration.Collect(rec)
	if err != nil {
		t.Fatal(err)
	}
	return rec, s
}

// startWorld starts every server of the tier and applies the stack's objects.
func startWorld(t *testing.T, rec *offline.Recording, s *integration.Stack) *world {
	t.Helper()
	if netnsErr != nil {
		integration.RequirePrerequisite(t, netnsErr)
	}
	if err := onlyLoopback(); err != nil {
		t.Fatalf("the demo tier must run in its own network namespace: %v", err)
	}
	ctx := t.Context()
	bins := map[string]string{}
	for _, env := range []string{"KUBE_SCHEDULER_BIN", "KEDA_OPERATOR_BIN", "KEDA_ADAPTER_BIN", "KWOK_BIN", "KARPENTER_KWOK_BIN"} {
		bins[env] = toolPath(t, env)
	}
	apiserver, err := integration.KubeAPIServerPath()
	if err != nil {
		integration.RequirePrerequisite(t, err)
	}
	kcm, err := integration.KubeControllerManagerPath()
	if err != nil {
		integration.RequirePrerequisite(t, err)
	}
	etcd, err := integration.EtcdPath()
	if err != nil {
		integration.RequirePrerequisite(t, err)
	}
	w := &world{t: t, stack: s, dir: t.TempDir()}
	w.start = time.Now()
	w.cluster, err = integration.Start(ctx, integration.Options{
		KubeAPIServer:     apiserver,
		Etcd:              etcd,
		ControllerManager: kcm,
		Scheduler:         bins["KUBE_SCHEDULER_BIN"],
		Controllers:       demoControllers,
		Aggregation:       true,
		Logf:              t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			w.dump()
			if logs, _ := filepath.Glob(filepath.Join(w.dir, "workers", "*.log")); len(logs) > 0 {
				b, _ := os.ReadFile(logs[0])
				t.Logf("first worker log %s:\n%s", logs[0], lastLines(string(b), 20))
			}
			for _, n := range []string{"keda-operator", "keda-adapter", "karpenter", "kwok", "kube-controller-manager", "kube-scheduler"} {
				t.Log(w.cluster.LogTail(n, 30))
			}
		}
		if err := w.cluster.Stop(); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
	})
	if w.client, err = integration.NewClient(w.cluster.Config); err != nil {
		t.Fatal(err)
	}
	if w.kube, err = kubernetes.NewForConfig(w.cluster.Config); err != nil {
		t.Fatal(err)
	}
	if w.dyn, err = dynamic.NewForConfig(w.cluster.Config); err != nil {
		t.Fatal(err)
	}
	w.moto = sqstest.Start(t)
	w.createQueues(rec)
	w.applyCRDs()
	w.startKEDA(bins["KEDA_OPERATOR_BIN"], bins["KEDA_ADAPTER_BIN"])
	w.startNodes(bins["KWOK_BIN"], bins["KARPENTER_KWOK_BIN"])
	w.applyStack()
	if err := os.MkdirAll(filepath.Join(w.dir, "records"), 0o700); err != nil {
		t.Fatal(err)
	}
	w.workers, err = StartWorkers(ctx, w.cluster.Config, WorkerOptions{
		Namespace: w.namespace,
		Selector:  "app.kubernetes.io/name=" + w.deployment,
		Binary:    workerBinary(t),
		LogDir:    filepath.Join(w.dir, "workers"),
		Env: func(pod *corev1.Pod) []string {
			return append(w.motoEnv(), "WORKER_RECORD_FILE="+filepath.Join(w.dir, "records", pod.Name+".jsonl"))
		},
		Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.workers.Stop)
	t.Logf("demo world up after %s", time.Since(w.start).Round(time.Millisecond))
	return w
}

// motoEnv is the AWS environment of every process that talks to SQS: dummy credentials,
// the stack's region, moto's endpoint (the SDKs' AWS_ENDPOINT_URL; no trigger or worker
// setting changes).
func (w *world) motoEnv() []string {
	return append(sqstest.DummyCredentialsEnv(), "AWS_ENDPOINT_URL="+w.moto.URL)
}

// createQueues creates the workload queues the program declares on moto, DLQs first (the
// redrive policies name them), with the program's attributes.
func (w *world) createQueues(rec *offline.Recording) {
	t := w.t
	attrs := map[string]string{
		"visibilityTimeoutSeconds": "VisibilityTimeout",
		"messageRetentionSeconds":  "MessageRetentionPeriod",
		"receiveWaitTimeSeconds":   "ReceiveMessageWaitTimeSeconds",
		"redrivePolicy":            "RedrivePolicy",
	}
	var queues []offline.Resource
	for _, r := range rec.Resources {
		if r.Type == "aws:sqs/queue:Queue" && !strings.Contains(r.Name, "interruption") {
			queues = append(queues, r)
		}
	}
	slices.SortStableFunc(queues, func(a, b offline.Resource) int {
		return boolInt(!strings.HasSuffix(a.Name, "-dlq")) - boolInt(!strings.HasSuffix(b.Name, "-dlq"))
	})
	// moto keeps queues per region: every client here uses the stack's.
	w.moto.Region, _ = rec.Outputs["region"].(string)
	w.sqs = w.moto.Client()
	for _, r := range queues {
		name, _ := r.Inputs["name"].(string)
		in := &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{}}
		for k, a := range attrs {
			// The recording holds the program's numbers as int64; an attribute of another type
			// would otherwise be left out silently, and moto would use its default.
			switch v := r.Inputs[k].(type) {
			case nil:
			case string:
				in.Attributes[a] = v
			case int64:
				in.Attributes[a] = strconv.FormatInt(v, 10)
			case float64:
				in.Attributes[a] = strconv.FormatFloat(v, 'f', -1, 64)
			default:
				t.Fatalf("queue %s: %s is a %T (%v), want a string or a number", name, k, v, v)
			}
		}
		out, err := w.sqs.CreateQueue(t.Context(), in)
		if err != nil {
			t.Fatalf("creating queue %s on moto: %v", name, err)
		}
		if strings.HasSuffix(name, "-dlq") {
			w.dlqURL = aws.ToString(out.QueueUrl)
		} else {
			w.queueURL = aws.ToString(out.QueueUrl)
		}
	}
	if w.queueURL == "" || w.dlqURL == "" {
		t.Fatalf("the stack declares no work queue and DLQ: %v", queues)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// moduleDir is the directory of module in the module cache, as the wrapper module
// tools/<wrapper> requires it (the build of the tool downloaded it).
func moduleDir(t *testing.T, wrapper, module string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), goCommand(), "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = filepath.Join("tools", wrapper)
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("go list -m %s in tools/%s: %v %s", module, wrapper, err, out)
	}
	return dir
}

// applyCRDs installs KEDA's six CRDs from the KEDA module the operator is built from
// (config/crd/bases: the operator will not start without the two eventing.keda.sh ones beside
// the four the program's objects use), Karpenter's NodePool and NodeClaim CRDs from the
// karpenter-provider-aws v1.14.1 module (pkg/apis/crds, what the verify tier validates the
// program's NodePool against, as the integration and engine tiers install them), and the
// KWOKNodeClass CRD from Karpenter's core module (kwok/apis/crds).
func (w *world) applyCRDs() {
	t := w.t
	keda, err := filepath.Glob(filepath.Join(moduleDir(t, "keda", "github.com/kedacore/keda/v2"), "config", "crd", "bases", "*.yaml"))
	if err != nil || len(keda) != 6 {
		t.Fatalf("KEDA's CRDs in its module: %v %v, want 6", keda, err)
	}
	files := append(keda,
		filepath.Join(moduleDir(t, "karpenter", "sigs.k8s.io/karpenter"), "kwok", "apis", "crds", "karpenter.kwok.sh_kwoknodeclasses.yaml"),
	)
	var manifests [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		manifests = append(manifests, b)
	}
	karpenter, err := verify.KarpenterCRDFiles()
	if err != nil {
		t.Fatalf("Karpenter's CRDs in %s@%s: %v", verify.KarpenterModule, verify.KarpenterVersion, err)
	}
	want := map[string]bool{"karpenter.sh_nodepools.yaml": true, "karpenter.sh_nodeclaims.yaml": true}
	for _, f := range karpenter {
		if want[filepath.Base(f.Path)] {
			manifests = append(manifests, f.Data)
			delete(want, filepath.Base(f.Path))
		}
	}
	if len(want) > 0 {
		t.Fatalf("%s@%s/%s lacks %v", verify.KarpenterModule, verify.KarpenterVersion, verify.KarpenterCRDDir, want)
	}
	if _, err := w.client.ApplyCRDs(t.Context(), manifests, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// apply server-side applies obj and fails the test on error.
func (w *world) apply(obj map[string]any) {
	w.t.Helper()
	if _, err := w.client.Apply(w.t.Context(), obj, integration.ApplyOptions{Force: true}); err != nil {
		w.t.Fatalf("applying %s: %v", integration.Identity(obj), err)
	}
}

// ports reserves n free loopback ports.
func (w *world) ports(n int) []int {
	p, err := integration.FreePorts(n)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// kedaNamespace is where the program installs KEDA (its chart's release namespace).
func (w *world) kedaNamespace() string {
	for _, c := range w.stack.Charts {
		if c.ChartName() == "keda" {
			return c.Namespace
		}
	}
	w.t.Fatal("the stack installs no KEDA chart")
	return ""
}

// startKEDA runs KEDA's operator and metrics adapter out of cluster with the flags its chart
// would set, certificates made by the test, and loopback binds; and registers the adapter as
// the external metrics API behind a Service of type ExternalName (the aggregator refuses
// Endpoints in 127.0.0.0/8).
func (w *world) startKEDA(operator, adapter string) {
	t := w.t
	ns := w.kedaNamespace()
	certDir := filepath.Join(w.dir, "keda-certs")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		t.Fatal(err)
	}
	// KEDA reads ca.crt, tls.crt and tls.key from its cert dir for the gRPC link between
	// adapter and operator; the adapter also serves the metrics API with them. The names are
	// those the aggregator and the adapter dial.
	if _, _, err := w.cluster.IssueCertificate(certDir, "tls", "localhost",
		"keda-operator", "keda-operator."+ns+".svc", "keda-operator."+ns+".svc.cluster.local",
		"keda-operator-metrics-apiserver", "keda-operator-metrics-apiserver."+ns+".svc"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certDir, "ca.crt"), w.cluster.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	w.apply(map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}})
	p := w.ports(5)
	opMetrics, opHealth, grpcPort, adapterSecure, adapterMetrics := p[0], p[1], p[2], p[3], p[4]
	env := sqstest.ChildEnv(append(w.motoEnv(),
		"KUBECONFIG="+w.cluster.Kubeconfig,
		"POD_NAMESPACE="+ns,
		"KEDA_CLUSTER_OBJECT_NAMESPACE="+ns,
		"WATCH_NAMESPACE=",
		"HOME="+w.dir)...)
	loop := func(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
	if err := w.cluster.Spawn("keda-operator", operator, env,
		"--leader-elect=false",
		"--metrics-bind-address="+loop(opMetrics),
		"--health-probe-bind-address="+loop(opHealth),
		"--metrics-service-bind-address="+loop(grpcPort),
		"--cert-dir="+certDir,
		"--enable-cert-rotation=false",
		"--enable-webhook-patching=false",
		"--enable-apiservice-patching=false",
		"--zap-log-level=info",
	); err != nil {
		t.Fatal(err)
	}
	if err := w.cluster.WaitFor(t.Context(), "keda-operator", 2*time.Minute, func() error {
		return httpOK("http://" + loop(opHealth) + "/readyz")
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.cluster.Spawn("keda-adapter", adapter, env,
		"--secure-port="+strconv.Itoa(adapterSecure),
		"--bind-address=127.0.0.1",
		"--cert-dir="+certDir,
		"--tls-cert-file="+filepath.Join(certDir, "tls.crt"),
		"--tls-private-key-file="+filepath.Join(certDir, "tls.key"),
		"--authentication-kubeconfig="+w.cluster.Kubeconfig,
		"--authorization-kubeconfig="+w.cluster.Kubeconfig,
		"--lister-kubeconfig="+w.cluster.Kubeconfig,
		"--metrics-service-address="+loop(grpcPort),
		"--metrics-service-grpc-authority=localhost",
		// Its own /metrics server binds ":<port>" (cmd/adapter/main.go, no address flag):
		// only loopback exists in this network namespace.
		"--port="+strconv.Itoa(adapterMetrics),
		"--profiling=false",
	); err != nil {
		t.Fatal(err)
	}
	if err := w.cluster.WaitFor(t.Context(), "keda-adapter", 2*time.Minute, func() error {
		return w.cluster.Healthy("https://" + loop(adapterSecure) + "/readyz")
	}); err != nil {
		t.Fatal(err)
	}
	// The chart's APIService (templates/metrics-server/apiservice.yaml at keda chart v2.20.2)
	// with the test CA and the adapter's port; its Service resolves to localhost.
	w.apply(map[string]any{"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "keda-operator-metrics-apiserver", "namespace": ns},
		"spec":     map[string]any{"type": "ExternalName", "externalName": "localhost", "ports": []any{map[string]any{"name": "https", "port": adapterSecure}}}})
	w.apply(map[string]any{"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": "v1beta1.external.metrics.k8s.io"},
		"spec": map[string]any{
			"service":              map[string]any{"name": "keda-operator-metrics-apiserver", "namespace": ns, "port": adapterSecure},
			"group":                "external.metrics.k8s.io",
			"version":              "v1beta1",
			"groupPriorityMinimum": 100,
			"versionPriority":      100,
			"caBundle":             w.cluster.CAPEM,
		}})
	apisvc := w.dyn.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"})
	if err := w.cluster.WaitFor(t.Context(), "keda-adapter", 2*time.Minute, func() error {
		u, err := apisvc.Get(t.Context(), "v1beta1.external.metrics.k8s.io", metav1.GetOptions{})
		if err != nil {
			return err
		}
		conds := sliceAt(u.Object, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Available" {
				if m["status"] == "True" {
					return nil
				}
				return fmt.Errorf("APIService Available=%v: %v", m["status"], m["message"])
			}
		}
		return fmt.Errorf("APIService has no Available condition yet")
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("KEDA operator and adapter up; external.metrics.k8s.io Available after %s", time.Since(w.start).Round(time.Millisecond))
}

// sliceAt returns the list at path in obj (nil when there is none).
func sliceAt(obj map[string]any, path ...string) []any {
	s, _ := offline.Lookup(obj, path...).([]any)
	return s
}

// httpOK GETs url and requires 200.
func httpOK(url string) error {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// kwokStages are the kwok Stage files the tier plays nodes and pods with, read from kwok's
// module (kustomize/stage): nodes become Ready at once and keep a heartbeat; pods bound to a
// kwok node become Running and Ready at once, and are deleted as soon as they are marked for
// deletion (the workers' processes, not the pod objects, carry the grace period).
var kwokStages = []string{
	"kustomize/stage/node/fast/node-initialize.yaml",
	"kustomize/stage/node/heartbeat/node-heartbeat.yaml",
	"kustomize/stage/pod/fast/pod-ready.yaml",
	"kustomize/stage/pod/fast/pod-complete.yaml",
	"kustomize/stage/pod/fast/pod-delete.yaml",
}

// startNodes runs kwok (the kubelets of the nodes Karpenter's kwok provider creates) and
// Karpenter's kwok provider with the NodePool's instance types as the scaling twin resolves
// them, and creates the KWOKNodeClass the NodePool is pointed at.
func (w *world) startNodes(kwok, karpenter string) {
	t := w.t
	kwokDir := moduleDir(t, "kwok", "sigs.k8s.io/kwok")
	var stages bytes.Buffer
	for _, s := range kwokStages {
		b, err := os.ReadFile(filepath.Join(kwokDir, s))
		if err != nil {
			t.Fatalf("kwok stage %s: %v", s, err)
		}
		stages.WriteString("---\n")
		stages.Write(b)
	}
	stagesFile := filepath.Join(w.dir, "kwok-stages.yaml")
	if err := os.WriteFile(stagesFile, stages.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	p := w.ports(3)
	kwokPort, karpenterMetrics, karpenterHealth := p[0], p[1], p[2]
	base := sqstest.ChildEnv("KUBECONFIG="+w.cluster.Kubeconfig, "HOME="+w.dir)
	if err := w.cluster.Spawn("kwok", kwok, base,
		"--kubeconfig="+w.cluster.Kubeconfig,
		"--config="+stagesFile,
		// The annotation Karpenter's kwok provider puts on its Nodes
		// (sigs.k8s.io/karpenter@v1.14.1/kwok/cloudprovider/cloudprovider.go).
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--server-address=127.0.0.1:"+strconv.Itoa(kwokPort),
		"--node-ip=127.0.0.1",
		"--cidr=10.0.0.1/16",
	); err != nil {
		t.Fatal(err)
	}
	itFile := filepath.Join(w.dir, "instance-types.json")
	instanceTypes(t, w.stack.Name, itFile)
	env := append(base,
		"SYSTEM_NAMESPACE=kube-system",
		"DISABLE_LEADER_ELECTION=true",
		"METRICS_PORT="+strconv.Itoa(karpenterMetrics),
		"HEALTH_PROBE_PORT="+strconv.Itoa(karpenterHealth),
		"INSTANCE_TYPES_FILE_PATH="+itFile,
		"LOG_LEVEL=info",
	)
	if err := w.cluster.Spawn("karpenter", karpenter, env); err != nil {
		t.Fatal(err)
	}
	if err := w.cluster.WaitFor(t.Context(), "karpenter", 2*time.Minute, func() error {
		return httpOK("http://127.0.0.1:" + strconv.Itoa(karpenterHealth) + "/readyz")
	}); err != nil {
		t.Fatal(err)
	}
	w.apply(map[string]any{"apiVersion": "karpenter.kwok.sh/v1alpha1", "kind": "KWOKNodeClass",
		"metadata": map[string]any{"name": kwokNodeClass}})
	w.reportCapacity(itFile)
	t.Logf("kwok and Karpenter's kwok provider up after %s", time.Since(w.start).Round(time.Millisecond))
}

// instanceTypes writes the kwok provider's instance-type file for stack: the NodePool's
// allowed types as the scaling twin resolves them (tests/twin/karpenter).
func instanceTypes(t *testing.T, stack, out string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), goCommand(), "run", "./cmd/kwok-instance-types", "-stack", stack, "-out", out)
	cmd.Dir = filepath.Join(integration.RepoRoot(), "tests", "twin", "karpenter")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s in %s: %v\n%s", strings.Join(cmd.Args, " "), cmd.Dir, err, b)
	}
}

// applyStack applies the workload's objects as the program emits them: its Namespace,
// ServiceAccount, Deployment, TriggerAuthentication and ScaledObject, and the NodePool with
// only nodeClassRef pointed at the KWOKNodeClass.
func (w *world) applyStack() {
	t := w.t
	for _, o := range w.stack.Objects {
		kind, _ := o.Body["kind"].(string)
		body := o.Body
		switch kind {
		case "Namespace", "NetworkPolicy", "ServiceAccount", "Deployment", "TriggerAuthentication", "ScaledObject":
		case "NodePool":
			tmpl := body["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
			t.Logf("NodePool %s: nodeClassRef %v rewritten to the KWOKNodeClass %s (the only change to the program's objects)",
				integration.Identity(body), tmpl["nodeClassRef"], kwokNodeClass)
			tmpl["nodeClassRef"] = map[string]any{"group": "karpenter.kwok.sh", "kind": "KWOKNodeClass", "name": kwokNodeClass}
		default:
			continue
		}
		if kind == "Deployment" {
			md := body["metadata"].(map[string]any)
			w.namespace, _ = md["namespace"].(string)
			w.deployment, _ = md["name"].(string)
		}
		w.apply(body)
		if w.applied == nil {
			w.applied = map[string]map[string]any{}
		}
		w.applied[o.URN] = body
	}
	if w.deployment == "" {
		t.Fatal("the stack emits no Deployment")
	}
	// The workload namespace, as the server holds it, enforces the program's Pod Security
	// Standards level: the worker pods the ReplicaSet controller creates in it are admitted by
	// PodSecurity (the NetworkPolicy is stored; no CNI here enforces it).
	ns, err := w.kube.CoreV1().Namespaces().Get(t.Context(), w.namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Labels[infra.PodSecurityLabelPrefix+"enforce"]; got != infra.WorkloadPodSecurityLevel {
		t.Fatalf("namespace %s enforces Pod Security level %q, want %q: the demo's pods would not prove the level", w.namespace, got, infra.WorkloadPodSecurityLevel)
	}
}

var (
	workerOnce sync.Once
	workerBin  string
	workerErr  error
	workerDir  string
)

// workerBinary builds cmd/worker once per test binary (into a folder removed by TestMain).
func workerBinary(t *testing.T) string {
	t.Helper()
	workerOnce.Do(func() {
		if workerDir, workerErr = os.MkdirTemp("", "eventscale-demo-worker-"); workerErr != nil {
			return
		}
		workerBin, workerErr = BuildWorker(context.Background(), workerDir)
	})
	if workerErr != nil {
		t.Fatal(workerErr)
	}
	return workerBin
}

// dump logs the pods and nodes, for a failed test.
func (w *world) dump() {
	ctx := context.Background()
	if w.kube == nil {
		return
	}
	if pods, err := w.kube.CoreV1().Pods(w.namespace).List(ctx, metav1.ListOptions{}); err == nil {
		for _, p := range pods.Items {
			var conds []string
			for _, c := range p.Status.Conditions {
				conds = append(conds, fmt.Sprintf("%s=%s(%s)", c.Type, c.Status, c.Message))
			}
			w.t.Logf("pod %s node %q phase %s conditions %v", p.Name, p.Spec.NodeName, p.Status.Phase, conds)
		}
	}
	if nodes, err := w.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		for _, n := range nodes.Items {
			w.t.Logf("node %s taints %v labels %v annotations %v allocatable %v", n.Name, n.Spec.Taints, n.Labels, n.Annotations, n.Status.Allocatable)
		}
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// reportCapacity plays the one part of a kubelet that kwok does not: reporting the machine's
// capacity. Karpenter's kwok provider creates each Node with status.capacity set to the
// NodeClaim's pod requests (sigs.k8s.io/karpenter@v1.14.1/kwok/cloudprovider/cloudprovider.go,
// toNode), and Karpenter counts Node capacity against the NodePool's limits; a kubelet on EC2
// reports the instance's capacity. Until the test ends, every kwok Node whose capacity differs
// from its instance type's in the instance-type file (the EC2 capacity the twin resolves) gets
// that capacity (status subresource; allocatable is left as kwok's provider set it).
func (w *world) reportCapacity(itFile string) {
	t := w.t
	data, err := os.ReadFile(itFile)
	if err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		Name      string              `json:"name"`
		Resources corev1.ResourceList `json:"resources"`
	}
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatalf("%s: %v", itFile, err)
	}
	capacity := map[string]corev1.ResourceList{}
	for _, it := range entries {
		capacity[it.Name] = it.Resources
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			nodes, err := w.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			if err == nil {
				for _, n := range nodes.Items {
					want, ok := capacity[n.Labels[corev1.LabelInstanceTypeStable]]
					if !ok || n.Annotations["kwok.x-k8s.io/node"] != "fake" || sameResources(n.Status.Capacity, want) {
						continue
					}
					patch, _ := json.Marshal(map[string]any{"status": map[string]any{"capacity": want}})
					if _, err := w.kube.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil && ctx.Err() == nil {
						t.Logf("reporting the capacity of node %s: %v", n.Name, err)
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
}

// sameResources reports whether have holds every quantity of want.
func sameResources(have, want corev1.ResourceList) bool {
	for k, q := range want {
		if h, ok := have[k]; !ok || h.Cmp(q) != 0 {
			return false
		}
	}
	return true
}
