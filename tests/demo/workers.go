package demo

// This file is the demo tier's stand-in for a kubelet's container runtime: it turns every
// Running worker pod into one real process of the project's worker (cmd/worker). kwok plays
// the kubelets' API side (node heartbeats, pod status); nothing in it runs containers, so
// without this a pod is an object only. What it cannot show: images, resource limits, probes,
// restarts (restartPolicy), container networking and the kubelet's own eviction; every worker
// runs on this machine, with this machine's user, sharing its loopback.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/eventscale/eventscale/internal/motoserver"
	"github.com/eventscale/eventscale/internal/workerenv"
	"github.com/eventscale/eventscale/tests/integration"
)

// WorkerOptions configure [StartWorkers].
type WorkerOptions struct {
	// Namespace is the namespace whose pods are watched (required).
	Namespace string
	// Selector is a label selector (e.g. "app=worker") choosing the pods; empty means all
	// pods of Namespace.
	Selector string
	// Binary is the worker executable, e.g. from [BuildWorker] (required).
	Binary string
	// LogDir receives one file per process with its stdout and stderr (required).
	LogDir string
	// Env, if set, returns "NAME=value" entries that override the pod's container env for
	// that pod's process (e.g. moto's AWS_ENDPOINT_URL, dummy credentials, a per-pod
	// WORKER_RECORD_FILE).
	Env func(pod *corev1.Pod) []string
	// Logf receives progress lines (e.g. testing.T.Logf); nil discards them.
	Logf func(format string, args ...any)
}

// WorkerEvent is what [Workers] saw of one pod and did with its process. Times are
// time.Now() of this process; a zero time means "not (yet)".
type WorkerEvent struct {
	// Pod, UID and Node name the pod (Node is spec.nodeName).
	Pod  string
	UID  types.UID
	Node string
	// PID is the process id (0 if the process could not start).
	PID int
	// LogFile holds the process's stdout and stderr.
	LogFile string
	// HealthAddr is the WORKER_HEALTH_ADDR the process got (127.0.0.1 and a free port).
	HealthAddr string
	// SeenRunning is when the pod was first seen bound and Running.
	SeenRunning time.Time
	// Started is when the process started.
	Started time.Time
	// TermSent is when SIGTERM was sent (pod terminating or gone, or Stop).
	TermSent time.Time
	// Grace is the time SIGTERM was given before SIGKILL.
	Grace time.Duration
	// KillSent is when SIGKILL was sent because the grace ran out.
	KillSent time.Time
	// Exited is when the process ended.
	Exited time.Time
	// ExitCode is the exit status, -1 if a signal ended the process (see Signal) or it has
	// not exited.
	ExitCode int
	// Signal names the signal that ended the process, if one did.
	Signal string
	// Unexpected is set when the process exited before it was sent SIGTERM, i.e. while its
	// pod was still there and Running: a failure the test should see. It is not restarted.
	Unexpected bool
	// StartErr is set when the process could not be started.
	StartErr string
}

// Workers runs one worker process per bound, Running pod; see [StartWorkers].
type Workers struct {
	opts      WorkerOptions
	logf      func(string, ...any)
	cancel    context.CancelFunc
	watchDone chan struct{} // closed when the informer has stopped

	mu      sync.Mutex
	procs   map[types.UID]*workerProc
	order   []types.UID // in the order the pods were first seen Running
	stopped bool

	stopOnce sync.Once
}

// workerProc is one process and its record.
type workerProc struct {
	ev        WorkerEvent
	specGrace time.Duration // the pod's, for Stop
	proc      *integration.Process
	done      chan struct{} // closed when the process has exited and its exit is recorded
}

// defaultGrace is the pod API's default terminationGracePeriodSeconds
// (k8s.io/api core/v1 DefaultTerminationGracePeriodSeconds).
const defaultGrace = corev1.DefaultTerminationGracePeriodSeconds * time.Second

// StartWorkers watches the pods of opts.Namespace that match opts.Selector and runs one
// process of opts.Binary for each pod once it is bound (spec.nodeName set) and its phase is
// Running (what kwok reports for pods on its nodes). A pod gets at most one process: one that
// exits on its own is recorded (WorkerEvent.Unexpected) and not restarted.
//
// The process's environment is this process's environment without AWS_* variables, then the
// pod's first container's env (see podEnv), then opts.Env(pod), then
// WORKER_HEALTH_ADDR=127.0.0.1:<free port>. That last override replaces the Deployment's ":8080":
// every pod's container uses the same port, which on one machine would collide, and servers
// here bind loopback only.
//
// When the pod gets a deletionTimestamp, or disappears, the process gets SIGTERM and, if it
// has not exited after the pod's grace period, SIGKILL (signals go to its process group). The
// grace is taken from the first sign of termination: metadata.deletionGracePeriodSeconds of a
// pod being deleted, else spec.terminationGracePeriodSeconds, else 30 s. A pod that vanishes
// without a deletionTimestamp first seen gets spec.terminationGracePeriodSeconds: kwok removes
// terminating pods at once with a zero grace period (sigs.k8s.io/kwok v0.8.0
// pkg/kwok/controllers/pod_controller.go, deleteOpt), which plays the kubelet's final removal,
// not a shorter grace. A process is tracked until it exits, also after its pod is gone.
//
// Processes run in their own process group and die with this process (Pdeathsig SIGKILL).
// ctx bounds the watch only; call [Workers.Stop] to end the processes.
func StartWorkers(ctx context.Context, cfg *rest.Config, opts WorkerOptions) (*Workers, error) {
	switch {
	case opts.Namespace == "":
		return nil, errors.New("workers: Namespace is required")
	case opts.Binary == "":
		return nil, errors.New("workers: Binary is required")
	case opts.LogDir == "":
		return nil, errors.New("workers: LogDir is required")
	}
	if _, err := labels.Parse(opts.Selector); err != nil {
		return nil, fmt.Errorf("workers: selector %q: %w", opts.Selector, err)
	}
	if err := os.MkdirAll(opts.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("workers: log folder: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("workers: client: %w", err)
	}
	w := &Workers{opts: opts, logf: opts.Logf, procs: map[types.UID]*workerProc{}, watchDone: make(chan struct{})}
	if w.logf == nil {
		w.logf = func(string, ...any) {}
	}
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0,
		informers.WithNamespace(opts.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = opts.Selector }))
	inf := factory.Core().V1().Pods().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.sync(obj) },
		UpdateFunc: func(_, obj any) { w.sync(obj) },
		DeleteFunc: w.deleted,
	}); err != nil {
		return nil, fmt.Errorf("workers: pod informer: %w", err)
	}
	watchCtx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	factory.Start(watchCtx.Done())
	go func() {
		<-watchCtx.Done()
		factory.Shutdown()
		close(w.watchDone)
	}()
	if !cache.WaitForCacheSync(watchCtx.Done(), inf.HasSynced) {
		w.Stop() // also ends processes started for pods listed before the sync failed
		return nil, fmt.Errorf("workers: pods of %s did not sync: %w", opts.Namespace, context.Cause(watchCtx))
	}
	w.logf("workers: watching pods in %s (selector %q)", opts.Namespace, opts.Selector)
	return w, nil
}

// sync starts or terminates the process of a pod after an add or update.
func (w *Workers) sync(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.procs[pod.UID]
	if pod.DeletionTimestamp != nil {
		if p != nil {
			w.terminateLocked(p, "pod terminating", deletionGrace(pod))
		}
		return
	}
	if p != nil || w.stopped || pod.Spec.NodeName == "" || pod.Status.Phase != corev1.PodRunning {
		return
	}
	w.startLocked(pod)
}

// deleted terminates the process of a pod that is gone from the API.
func (w *Workers) deleted(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if p := w.procs[pod.UID]; p != nil {
		w.terminateLocked(p, "pod deleted", specGrace(pod))
	}
}

// deletionGrace is the grace of a pod being deleted: metadata.deletionGracePeriodSeconds
// when set, else specGrace.
func deletionGrace(pod *corev1.Pod) time.Duration {
	if s := pod.DeletionGracePeriodSeconds; s != nil {
		return time.Duration(*s) * time.Second
	}
	return specGrace(pod)
}

// specGrace is spec.terminationGracePeriodSeconds, or the API's default of 30 s.
func specGrace(pod *corev1.Pod) time.Duration {
	if s := pod.Spec.TerminationGracePeriodSeconds; s != nil {
		return time.Duration(*s) * time.Second
	}
	return defaultGrace
}

// startLocked starts the process of a bound, Running pod. w.mu is held.
func (w *Workers) startLocked(pod *corev1.Pod) {
	p := &workerProc{done: make(chan struct{}), specGrace: specGrace(pod), ev: WorkerEvent{
		Pod: pod.Name, UID: pod.UID, Node: pod.Spec.NodeName, SeenRunning: time.Now(), ExitCode: -1,
	}}
	w.procs[pod.UID] = p
	w.order = append(w.order, pod.UID)
	fail := func(err error) {
		p.ev.StartErr = err.Error()
		close(p.done)
		w.logf("workers: pod %s: cannot start the worker: %v", pod.Name, err)
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		fail(err)
		return
	}
	p.ev.HealthAddr = addr
	var overrides []string
	if w.opts.Env != nil {
		overrides = w.opts.Env(pod)
	}
	env, skipped := podEnv(pod, overrides, addr)
	for _, s := range skipped {
		w.logf("workers: pod %s: env %s", pod.Name, s)
	}
	p.ev.LogFile = filepath.Join(w.opts.LogDir, fmt.Sprintf("%s_%s.log", pod.Name, shortUID(pod.UID)))
	logFile, err := os.OpenFile(p.ev.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fail(err)
		return
	}
	cmd := exec.Command(w.opts.Binary)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group, so signals reach anything it forks; killed by the kernel if this
	// process dies first (a -timeout panic skips cleanups).
	proc, err := integration.StartProcess(pod.Name, cmd)
	logFile.Close() // the process has its own copy
	if err != nil {
		fail(err)
		return
	}
	p.proc = proc
	p.ev.PID = proc.Pid()
	p.ev.Started = time.Now()
	w.logf("workers: pod %s on %s: worker pid %d started (health %s, log %s)", pod.Name, pod.Spec.NodeName, p.ev.PID, addr, p.ev.LogFile)
	go w.wait(p)
}

// wait records the exit of p's process.
func (w *Workers) wait(p *workerProc) {
	<-p.proc.Done()
	err := p.proc.Err()
	w.mu.Lock()
	defer w.mu.Unlock()
	p.ev.Exited = time.Now()
	st := p.proc.State()
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		p.ev.Signal = ws.Signal().String()
	}
	p.ev.ExitCode = st.ExitCode()
	if p.ev.TermSent.IsZero() {
		p.ev.Unexpected = true
		w.logf("workers: pod %s: worker pid %d exited on its own (%v) while its pod is Running; not restarted (log %s)",
			p.ev.Pod, p.ev.PID, err, p.ev.LogFile)
	} else {
		how := "exited"
		if !p.ev.KillSent.IsZero() {
			how = "was killed"
		}
		w.logf("workers: pod %s: worker pid %d %s %s after SIGTERM (exit code %d%s)",
			p.ev.Pod, p.ev.PID, how, p.ev.Exited.Sub(p.ev.TermSent).Round(time.Millisecond), p.ev.ExitCode, signalNote(p.ev.Signal))
	}
	close(p.done)
}

func signalNote(sig string) string {
	if sig == "" {
		return ""
	}
	return ", " + sig
}

// terminateLocked sends SIGTERM to p's process group, and SIGKILL after grace if it is still
// running. It does nothing if SIGTERM was sent already or the process has exited. w.mu is held.
func (w *Workers) terminateLocked(p *workerProc, why string, grace time.Duration) {
	if p.proc == nil || !p.ev.TermSent.IsZero() || !p.ev.Exited.IsZero() {
		return
	}
	p.ev.TermSent = time.Now()
	p.ev.Grace = grace
	w.logf("workers: pod %s: %s: SIGTERM to worker pid %d (grace %s)", p.ev.Pod, why, p.ev.PID, grace)
	p.proc.Signal(syscall.SIGTERM)
	go func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		w.mu.Lock()
		if p.ev.Exited.IsZero() {
			p.ev.KillSent = time.Now()
			w.logf("workers: pod %s: worker pid %d still running after %s: SIGKILL", p.ev.Pod, p.ev.PID, grace)
			p.proc.Signal(syscall.SIGKILL)
		}
		w.mu.Unlock()
	}()
}

// Stop stops watching and starting processes, sends SIGTERM to every process still running
// (SIGKILL after its pod's spec.terminationGracePeriodSeconds, default 30 s) and waits until
// all have exited. It is idempotent.
func (w *Workers) Stop() {
	w.stopOnce.Do(func() {
		w.cancel()
		<-w.watchDone
		w.mu.Lock()
		w.stopped = true
		var done []chan struct{}
		for _, uid := range w.order {
			p := w.procs[uid]
			w.terminateLocked(p, "stopping", p.specGrace)
			done = append(done, p.done)
		}
		w.mu.Unlock()
		for _, d := range done {
			<-d
		}
	})
}

// Events returns a copy of the record of every pod that got (or should have got) a process,
// in the order the pods were first seen Running.
func (w *Workers) Events() []WorkerEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]WorkerEvent, 0, len(w.order))
	for _, uid := range w.order {
		out = append(out, w.procs[uid].ev)
	}
	return out
}

// Unexpected returns the events of processes that exited on their own or could not start:
// failures a test should report.
func (w *Workers) Unexpected() []WorkerEvent {
	var out []WorkerEvent
	for _, ev := range w.Events() {
		if ev.Unexpected || ev.StartErr != "" {
			out = append(out, ev)
		}
	}
	return out
}

// Running returns the number of processes that have started and not exited.
func (w *Workers) Running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, p := range w.procs {
		if p.proc != nil && p.ev.Exited.IsZero() {
			n++
		}
	}
	return n
}

// podEnv is the environment of a pod's worker process, later entries winning: this
// process's environment without AWS_* (motoserver.ChildEnv, so no real profile, token or
// endpoint leaks in); the pod's first container's env entries, those with a plain value and
// those whose valueFrom is a fieldRef to metadata.name, metadata.namespace, metadata.uid,
// spec.nodeName, spec.serviceAccountName or status.podIP, resolved from pod; then overrides
// ("NAME=value"); then WORKER_HEALTH_ADDR=healthAddr. Every other env entry (valueFrom a
// ConfigMap, Secret, resource or other field) and envFrom is skipped and named in skipped.
// $(VAR) references in values are not expanded (the kubelet would expand them; the worker
// Deployment uses none).
func podEnv(pod *corev1.Pod, overrides []string, healthAddr string) (env, skipped []string) {
	var fromPod []string
	if len(pod.Spec.Containers) > 0 {
		c := pod.Spec.Containers[0]
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				fromPod = append(fromPod, e.Name+"="+e.Value)
				continue
			}
			if v, ok := fieldValue(pod, e.ValueFrom.FieldRef); ok {
				fromPod = append(fromPod, e.Name+"="+v)
				continue
			}
			skipped = append(skipped, fmt.Sprintf("%s skipped: valueFrom %s is not resolved here", e.Name, valueFromKind(e.ValueFrom)))
		}
		for _, f := range c.EnvFrom {
			skipped = append(skipped, fmt.Sprintf("envFrom %s skipped: not resolved here", envFromName(f)))
		}
	}
	env = mergeEnv(motoserver.ChildEnv(), fromPod, overrides, []string{workerenv.HealthAddr + "=" + healthAddr})
	return env, skipped
}

// fieldValue resolves the fieldRefs podEnv supports.
func fieldValue(pod *corev1.Pod, ref *corev1.ObjectFieldSelector) (string, bool) {
	if ref == nil {
		return "", false
	}
	switch ref.FieldPath {
	case "metadata.name":
		return pod.Name, true
	case "metadata.namespace":
		return pod.Namespace, true
	case "metadata.uid":
		return string(pod.UID), true
	case "spec.nodeName":
		return pod.Spec.NodeName, true
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, true
	case "status.podIP":
		return pod.Status.PodIP, true
	}
	return "", false
}

func valueFromKind(v *corev1.EnvVarSource) string {
	switch {
	case v.FieldRef != nil:
		return "fieldRef " + v.FieldRef.FieldPath
	case v.ResourceFieldRef != nil:
		return "resourceFieldRef " + v.ResourceFieldRef.Resource
	case v.ConfigMapKeyRef != nil:
		return "configMapKeyRef " + v.ConfigMapKeyRef.Name
	case v.SecretKeyRef != nil:
		return "secretKeyRef " + v.SecretKeyRef.Name
	}
	return "(other source)"
}

func envFromName(f corev1.EnvFromSource) string {
	switch {
	case f.ConfigMapRef != nil:
		return "configMapRef " + f.ConfigMapRef.Name
	case f.SecretRef != nil:
		return "secretRef " + f.SecretRef.Name
	}
	return "(other source)"
}

// mergeEnv joins "NAME=value" layers: each name appears once, where it first appeared, with
// the value of the last layer that sets it.
func mergeEnv(layers ...[]string) []string {
	index := map[string]int{}
	var out []string
	for _, layer := range layers {
		for _, kv := range layer {
			name, _, _ := strings.Cut(kv, "=")
			if i, ok := index[name]; ok {
				out[i] = kv
				continue
			}
			index[name] = len(out)
			out = append(out, kv)
		}
	}
	return out
}

// freeLoopbackAddr returns 127.0.0.1:<a port free just now>.
func freeLoopbackAddr() (string, error) {
	p, err := integration.FreePorts(1)
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	return "127.0.0.1:" + strconv.Itoa(p[0]), nil
}

// shortUID is the first 8 characters of uid, enough to tell two pods of one name apart.
func shortUID(uid types.UID) string {
	s := string(uid)
	if len(s) > 8 {
		s = s[:8]
	}
	return s
}

// goCommand is the go command the tier runs: $GO (make passes its GO), else go on PATH. It
// runs with this process's environment (GOFLAGS, GOTOOLCHAIN and the build cache apply).
func goCommand() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// BuildWorker builds the project's worker (cmd/worker of the repository root that
// integration.RepoRoot finds) into dir with [goCommand] and returns the binary's path.
func BuildWorker(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "worker")
	cmd := exec.CommandContext(ctx, goCommand(), "build", "-o", out, "./cmd/worker")
	cmd.Dir = integration.RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/worker in %s: %w\n%s", cmd.Dir, err, b)
	}
	return out, nil
}
