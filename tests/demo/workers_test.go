package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/eventscale/eventscale/internal/sqstest"
	"github.com/eventscale/eventscale/internal/worker"
	"github.com/eventscale/eventscale/tests/integration"
)

func TestWorkerEnv(t *testing.T) {
	t.Setenv("AWS_PROFILE", "a-real-profile")
	t.Setenv("DEMO_WORKERS_BASE", "from-base")
	t.Setenv("DEMO_WORKERS_KEPT", "kept")
	field := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "worker-abc", Namespace: "jobs", UID: "0123-4567-89", Labels: map[string]string{"app": "worker"}},
		Spec: corev1.PodSpec{
			NodeName:           "node-1",
			ServiceAccountName: "worker-sa",
			Containers: []corev1.Container{{
				Name: "worker",
				Env: []corev1.EnvVar{
					{Name: "QUEUE_URL", Value: "https://sqs.eu-west-1.amazonaws.com/1/q"},
					{Name: "AWS_REGION", Value: "eu-west-1"},
					{Name: "WORKER_HEALTH_ADDR", Value: ":8080"},
					{Name: "DEMO_WORKERS_BASE", Value: "from-pod"},
					{Name: "POD_NAME", ValueFrom: field("metadata.name")},
					{Name: "POD_NAMESPACE", ValueFrom: field("metadata.namespace")},
					{Name: "POD_UID", ValueFrom: field("metadata.uid")},
					{Name: "NODE_NAME", ValueFrom: field("spec.nodeName")},
					{Name: "SA_NAME", ValueFrom: field("spec.serviceAccountName")},
					{Name: "POD_IP", ValueFrom: field("status.podIP")},
					{Name: "APP_LABEL", ValueFrom: field("metadata.labels['app']")},
					{Name: "TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "token"}}},
				},
				EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}},
			}, {
				Name: "sidecar",
				Env:  []corev1.EnvVar{{Name: "SIDECAR_ONLY", Value: "1"}},
			}},
		},
		Status: corev1.PodStatus{PodIP: "10.1.2.3"},
	}
	overrides := []string{
		"QUEUE_URL=http://127.0.0.1:5000/123456789012/q",
		"AWS_ENDPOINT_URL=http://127.0.0.1:5000",
		"WORKER_HEALTH_ADDR=0.0.0.0:9999",
	}
	env, skipped := podEnv(pod, overrides, "127.0.0.1:41000")

	got := map[string]string{}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if _, dup := got[name]; dup {
			t.Errorf("%s appears twice in the environment", name)
		}
		got[name] = value
	}
	want := map[string]string{
		"QUEUE_URL":          "http://127.0.0.1:5000/123456789012/q", // overrides beat the pod
		"AWS_ENDPOINT_URL":   "http://127.0.0.1:5000",
		"AWS_REGION":         "eu-west-1",       // the pod's AWS_* survive; only the base's are dropped
		"WORKER_HEALTH_ADDR": "127.0.0.1:41000", // beats the pod's and the overrides'
		"DEMO_WORKERS_BASE":  "from-pod",        // the pod beats the base
		"DEMO_WORKERS_KEPT":  "kept",
		"POD_NAME":           "worker-abc",
		"POD_NAMESPACE":      "jobs",
		"POD_UID":            "0123-4567-89",
		"NODE_NAME":          "node-1",
		"SA_NAME":            "worker-sa",
		"POD_IP":             "10.1.2.3",
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %q, want %q", name, got[name], v)
		}
	}
	for _, name := range []string{"AWS_PROFILE", "APP_LABEL", "TOKEN", "SIDECAR_ONLY"} {
		if v, ok := got[name]; ok {
			t.Errorf("%s = %q is in the environment, want it absent", name, v)
		}
	}
	if len(skipped) != 3 || !strings.HasPrefix(skipped[0], "APP_LABEL ") ||
		!strings.HasPrefix(skipped[1], "TOKEN ") || !strings.Contains(skipped[2], "settings") {
		t.Errorf("skipped = %q, want APP_LABEL, TOKEN and the envFrom of settings", skipped)
	}
}

func TestWorkerGrace(t *testing.T) {
	for _, tc := range []struct {
		name         string
		spec, delete *int64
		wantSpec     time.Duration
		wantDeletion time.Duration
	}{
		{"defaults", nil, nil, 30 * time.Second, 30 * time.Second},
		{"spec", new(int64(45)), nil, 45 * time.Second, 45 * time.Second},
		{"delete option", new(int64(45)), new(int64(5)), 45 * time.Second, 5 * time.Second},
		{"force delete", nil, new(int64(0)), 30 * time.Second, 0},
	} {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{DeletionGracePeriodSeconds: tc.delete},
			Spec:       corev1.PodSpec{TerminationGracePeriodSeconds: tc.spec},
		}
		if got := specGrace(pod); got != tc.wantSpec {
			t.Errorf("%s: specGrace = %s, want %s", tc.name, got, tc.wantSpec)
		}
		if got := deletionGrace(pod); got != tc.wantDeletion {
			t.Errorf("%s: deletionGrace = %s, want %s", tc.name, got, tc.wantDeletion)
		}
	}
}

// Worker pods of TestWorkersRunPods: each process takes two messages at a time and works 3 s
// on each, long enough for the test to delete a pod while one of its messages is in flight.
// Their visibility timeout is 5 s (renewed while a message is processing): a long poll in
// flight at SIGTERM is cancelled by the worker, and a message the server had already handed
// to that request stays invisible until its visibility timeout ends; nothing is lost, it is
// delivered again (seen with moto: 30 s of delay at the queue's default).
const (
	workerSelector    = "app=worker"
	workerWork        = 3 * time.Second
	workerGraceSecond = 20 // terminationGracePeriodSeconds, above WORKER_SHUTDOWN_TIMEOUT
)

// TestWorkersRunPods runs the worker supervisor against a real API server (no controllers:
// the test creates bound pods and sets their status as kwok would) and a real SQS API (moto).
func TestWorkersRunPods(t *testing.T) {
	for _, f := range []func() (string, error){integration.KubeAPIServerPath, integration.EtcdPath} {
		_, err := f()
		integration.RequirePrerequisite(t, err)
	}
	sqs := sqstest.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	bin, err := BuildWorker(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := integration.Start(ctx, integration.Options{Logf: t.Logf})
	if cluster != nil {
		t.Cleanup(func() {
			if err := cluster.Stop(); err != nil {
				t.Errorf("stopping the cluster: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("starting etcd and kube-apiserver: %v", err)
	}
	cs, err := kubernetes.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "demo-workers"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// No controller manager runs to create the namespace's default service account, which the
	// ServiceAccount admission plugin looks up for every pod.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	queue := sqs.CreateQueue(t, "demo-workers", map[string]string{"VisibilityTimeout": "30"})
	records := t.TempDir()
	recordFile := func(pod string) string { return filepath.Join(records, pod+".jsonl") }

	w, err := StartWorkers(ctx, cluster.Config, WorkerOptions{
		Namespace: ns,
		Selector:  workerSelector,
		Binary:    bin,
		LogDir:    t.TempDir(),
		Env: func(pod *corev1.Pod) []string {
			return append(sqs.Env(), "WORKER_RECORD_FILE="+recordFile(pod.Name))
		},
		Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Stop()
		if t.Failed() {
			for _, ev := range w.Events() {
				t.Logf("%+v\n%s", ev, tail(ev.LogFile, 30))
			}
		}
	})
	find := func(pod string) (WorkerEvent, int) {
		var last WorkerEvent
		n := 0
		for _, ev := range w.Events() {
			if ev.Pod == pod {
				last, n = ev, n+1
			}
		}
		return last, n
	}
	waitFor := func(what string, timeout time.Duration, cond func() bool) {
		t.Helper()
		start := time.Now()
		if !sqstest.WaitFor(timeout, cond) {
			t.Fatalf("%s: not within %s (running %d, events %+v)", what, timeout, w.Running(), w.Events())
		}
		t.Logf("%s (waited %s)", what, time.Since(start).Round(time.Millisecond))
	}
	// processedOnce waits until the messages sent with bodies prefix-0000... are all recorded,
	// checks that each was processed once and that the queue is empty, and returns the records.
	processedOnce := func(prefix string, count int) []record {
		t.Helper()
		waitFor("the "+prefix+" messages are processed", 120*time.Second, func() bool {
			return len(recordsWith(t, records, prefix)) >= count
		})
		recs := recordsWith(t, records, prefix)
		checkOnce(t, recs, sqstest.Bodies(prefix, count))
		waitFor("the queue is empty", 30*time.Second, func() bool { return sqs.QueueCounts(t, queue.URL).Total() == 0 })
		return recs
	}
	pods := cs.CoreV1().Pods(ns)
	create := func(name, app string, concurrency int) {
		t.Helper()
		if _, err := pods.Create(ctx, workerPod(name, app, queue.URL, concurrency), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod %s: %v", name, err)
		}
	}
	run := func(name string) {
		t.Helper()
		if err := markRunning(ctx, pods, name); err != nil {
			t.Fatalf("pod %s: %v", name, err)
		}
	}

	// Only a bound, Running pod that matches the selector gets a process. The watch delivers
	// events in order, so once w-1 (created and set Running after the others) has its process,
	// the supervisor has seen w-0 Pending and never sees "other" (another app's label).
	create("w-0", "worker", 2)
	create("other", "other", 2)
	run("other")
	create("w-1", "worker", 2)
	run("w-1")
	waitFor("w-1's process starts", 60*time.Second, func() bool { ev, _ := find("w-1"); return !ev.Started.IsZero() })
	if _, n := find("w-0"); n != 0 {
		t.Fatalf("w-0 got a process while Pending: %+v", w.Events())
	}
	run("w-0")
	waitFor("two processes run", 60*time.Second, func() bool { return w.Running() == 2 })
	// Each answers /readyz on the loopback address it was given instead of the pod's ":8080".
	waitFor("both workers are ready", 60*time.Second, func() bool { return ready(find("w-0")) && ready(find("w-1")) })

	// Both processes consume the queue; every message is processed exactly once.
	const n = 8
	sqs.SendBodies(t, queue.URL, sqstest.Bodies("first", n))
	first := processedOnce("first", n)
	byPod := map[string]int{}
	for _, r := range first {
		byPod[r.pod]++
	}
	for _, pod := range []string{"w-0", "w-1"} {
		ev, _ := find(pod)
		if byPod[pod] == 0 {
			t.Errorf("%s processed none of the %d messages (per pod: %v)", pod, n, byPod)
		}
		for _, r := range first {
			if r.pod == pod && r.PID != ev.PID {
				t.Errorf("%s's record file was written by pid %d, want its process %d", pod, r.PID, ev.PID)
			}
		}
	}

	// A pod deleted with a grace period while one of its messages is in flight: its process
	// gets SIGTERM, finishes the message and exits 0. The pod is then removed at once with a
	// zero grace period, as kwok does; the process keeps the grace it was given.
	const m = 4
	sqs.SendBodies(t, queue.URL, sqstest.Bodies("second", m))
	var victim string
	var inFlight []string
	waitFor("a message in flight", 60*time.Second, func() bool {
		for _, pod := range []string{"w-0", "w-1"} {
			ev, _ := find(pod)
			if ids := startedNotRecorded(t, ev.LogFile, recordFile(pod)); len(ids) > 0 {
				victim, inFlight = pod, ids
				return true
			}
		}
		return false
	})
	if err := pods.Delete(ctx, victim, metav1.DeleteOptions{GracePeriodSeconds: new(int64(workerGraceSecond))}); err != nil {
		t.Fatal(err)
	}
	waitFor("SIGTERM is sent to "+victim, 30*time.Second, func() bool { ev, _ := find(victim); return !ev.TermSent.IsZero() })
	if err := pods.Delete(ctx, victim, metav1.DeleteOptions{GracePeriodSeconds: new(int64(0))}); err != nil {
		t.Fatal(err)
	}
	waitFor(victim+"'s process exits", 2*workerGraceSecond*time.Second, func() bool { ev, _ := find(victim); return !ev.Exited.IsZero() })
	ev, _ := find(victim)
	if ev.ExitCode != 0 || ev.Signal != "" || !ev.KillSent.IsZero() || ev.Unexpected {
		t.Errorf("%s after SIGTERM: exit code %d, signal %q, SIGKILL at %v, unexpected %v; want a clean exit 0",
			victim, ev.ExitCode, ev.Signal, ev.KillSent, ev.Unexpected)
	}
	if ev.Grace != workerGraceSecond*time.Second {
		t.Errorf("%s was given %s of grace, want the %ds it was deleted with", victim, ev.Grace, workerGraceSecond)
	}
	if !logHas(t, ev.LogFile, "signal received; draining") {
		t.Errorf("%s's worker never logged the signal", victim)
	}
	recorded := map[string]record{}
	for _, r := range readRecords(t, recordFile(victim)) {
		recorded[r.ID] = r
	}
	for _, id := range inFlight {
		r, ok := recorded[id]
		switch {
		case !ok:
			t.Errorf("message %s, in flight on %s at SIGTERM, was not processed by it", id, victim)
		case !r.Time.After(ev.TermSent):
			t.Errorf("message %s finished at %s, before SIGTERM at %s: it was not in flight", id, r.Time, ev.TermSent)
		}
	}
	processedOnce("second", m)
	if got := w.Running(); got != 1 {
		t.Errorf("Running() = %d after deleting %s, want 1", got, victim)
	}

	// A worker that exits on its own (bad configuration: exit code 2) is recorded and not
	// restarted, also when its pod is updated again.
	create("broken", "worker", 0)
	run("broken")
	waitFor("broken's process exits", 60*time.Second, func() bool { ev, _ := find("broken"); return !ev.Exited.IsZero() })
	if err := markRunning(ctx, pods, "broken"); err != nil {
		t.Fatal(err)
	}
	create("w-2", "worker", 2)
	run("w-2")
	waitFor("w-2's process starts", 60*time.Second, func() bool { ev, _ := find("w-2"); return !ev.Started.IsZero() })
	// A worker SIGTERMed before it has set up its signal handling dies of the signal; Stop
	// is for workers that run.
	waitFor("w-2 is ready", 60*time.Second, func() bool { return ready(find("w-2")) })
	broken, starts := find("broken")
	if starts != 1 || !broken.Unexpected || broken.ExitCode != 2 {
		t.Errorf("broken: %d processes, unexpected %v, exit code %d; want 1 process that exited 2 on its own",
			starts, broken.Unexpected, broken.ExitCode)
	}
	if u := w.Unexpected(); len(u) != 1 || u[0].Pod != "broken" {
		t.Errorf("Unexpected() = %+v, want broken's exit only", u)
	}
	if got := w.Running(); got != 2 {
		t.Errorf("Running() = %d, want 2 (the survivor and w-2)", got)
	}

	// A pod deleted with a grace period shorter than the message in flight: its process gets
	// SIGKILL when the grace runs out, the message is not deleted, and the other worker
	// processes it once it is visible again.
	const k = 2
	sqs.SendBodies(t, queue.URL, sqstest.Bodies("third", k))
	var killed string
	waitFor("a message in flight", 60*time.Second, func() bool {
		for _, ev := range w.Events() {
			if ev.Exited.IsZero() && len(startedNotRecorded(t, ev.LogFile, recordFile(ev.Pod))) > 0 {
				killed = ev.Pod
				return true
			}
		}
		return false
	})
	if err := pods.Delete(ctx, killed, metav1.DeleteOptions{GracePeriodSeconds: new(int64(1))}); err != nil {
		t.Fatal(err)
	}
	waitFor(killed+"'s process is killed", 30*time.Second, func() bool { ev, _ := find(killed); return !ev.Exited.IsZero() })
	if ev, _ := find(killed); ev.KillSent.IsZero() || ev.Signal != "killed" || ev.Grace != time.Second {
		t.Errorf("%s: SIGKILL at %v, ended by signal %q, grace %s; want SIGKILL after 1s", killed, ev.KillSent, ev.Signal, ev.Grace)
	}
	processedOnce("third", k)
	if got := w.Running(); got != 1 {
		t.Errorf("Running() = %d after killing %s, want 1", got, killed)
	}

	// Stop ends every process with SIGTERM; a second Stop does nothing.
	w.Stop()
	w.Stop()
	if got := w.Running(); got != 0 {
		t.Errorf("Running() = %d after Stop, want 0", got)
	}
	for _, ev := range w.Events() {
		if ev.Exited.IsZero() {
			t.Errorf("%s's process has not exited after Stop", ev.Pod)
		}
		if ev.Pod != "broken" && ev.Pod != killed && (ev.TermSent.IsZero() || ev.ExitCode != 0) {
			t.Errorf("%s: SIGTERM at %v, exit code %d; want SIGTERM and exit 0", ev.Pod, ev.TermSent, ev.ExitCode)
		}
	}
	if _, n := find("other"); n != 0 {
		t.Errorf("pod other (label app=other) got a process")
	}
}

// workerPod is a pod of the worker bound to a node (no scheduler runs), with the Deployment's
// kind of environment: plain values and a fieldRef.
func workerPod(name, app, queueURL string, concurrency int) *corev1.Pod {
	env := []corev1.EnvVar{
		{Name: "QUEUE_URL", Value: queueURL},
		{Name: "AWS_REGION", Value: sqstest.Region},
		{Name: "WORKER_CONCURRENCY", Value: fmt.Sprint(concurrency)},
		{Name: "WORKER_WAIT_SECONDS", Value: "1"},
		{Name: "WORKER_SIMULATED_WORK", Value: workerWork.String()},
		{Name: "WORKER_SHUTDOWN_TIMEOUT", Value: "10s"},
		{Name: "WORKER_VISIBILITY_EXTENSION_SECONDS", Value: "5"},
		{Name: "WORKER_HEALTH_ADDR", Value: ":8080"},
		{Name: "WORKER_LOG_LEVEL", Value: "debug"},
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			NodeName:                      "node-" + name,
			TerminationGracePeriodSeconds: new(int64(workerGraceSecond)),
			Containers:                    []corev1.Container{{Name: "worker", Image: "eventscale-worker:demo", Env: env}},
		},
	}
}

// markRunning sets the pod's status as kwok does for pods on its nodes: phase Running, an IP
// and Ready.
func markRunning(ctx context.Context, pods interface {
	Get(context.Context, string, metav1.GetOptions) (*corev1.Pod, error)
	UpdateStatus(context.Context, *corev1.Pod, metav1.UpdateOptions) (*corev1.Pod, error)
}, name string) error {
	pod, err := pods.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.PodIP = "10.0.0.1"
	pod.Status.StartTime = &now
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	_, err = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	return err
}

// ready reports whether the worker process of ev answers 200 on /readyz.
func ready(ev WorkerEvent, _ int) bool {
	if ev.HealthAddr == "" {
		return false
	}
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + ev.HealthAddr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// record is one line of a worker's WORKER_RECORD_FILE and the pod whose file it is in.
type record struct {
	worker.RecordEntry
	pod string
}

// readRecords reads a record file's processing lines (not its confirmed deletes); a missing
// file has no records.
func readRecords(t *testing.T, path string) []record {
	t.Helper()
	es, err := worker.ReadRecordFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pod := strings.TrimSuffix(filepath.Base(path), ".jsonl")
	var out []record
	for _, e := range es {
		if e.Kind == worker.RecordProcessed {
			out = append(out, record{e, pod})
		}
	}
	return out
}

// recordsWith returns the records of every record file in dir whose body starts with prefix.
func recordsWith(t *testing.T, dir, prefix string) []record {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []record
	for _, f := range files {
		for _, r := range readRecords(t, f) {
			if strings.HasPrefix(r.Body, prefix+"-") {
				out = append(out, r)
			}
		}
	}
	return out
}

// checkOnce fails t unless recs hold each of bodies exactly once.
func checkOnce(t *testing.T, recs []record, bodies []string) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.Body]++
	}
	for _, b := range bodies {
		if seen[b] != 1 {
			t.Errorf("message %q processed %d times, want once", b, seen[b])
		}
	}
	if len(recs) != len(bodies) {
		t.Errorf("%d records, want %d", len(recs), len(bodies))
	}
}

// logLines returns the JSON lines of a worker log (a torn last line is left out).
func logLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// logHas reports whether the worker log has a line with msg.
func logHas(t *testing.T, path, msg string) bool {
	t.Helper()
	return slices.ContainsFunc(logLines(t, path), func(m map[string]any) bool { return m["msg"] == msg })
}

// startedNotRecorded returns the ids of messages the worker logged as started and has not
// recorded as processed.
func startedNotRecorded(t *testing.T, logFile, recordFile string) []string {
	t.Helper()
	if logFile == "" {
		return nil
	}
	done := map[string]bool{}
	for _, r := range readRecords(t, recordFile) {
		done[r.ID] = true
	}
	var out []string
	for _, m := range logLines(t, logFile) {
		if id, _ := m["message_id"].(string); m["msg"] == "message started" && !done[id] {
			out = append(out, id)
		}
	}
	return out
}

// tail is the last n lines of a file, for failure reports.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
