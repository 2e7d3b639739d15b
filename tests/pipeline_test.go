package tests

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/components/keda"
	"github.com/eventscale/eventscale/components/queue"
	"github.com/eventscale/eventscale/components/workload"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
)

// Whole-stack tests of the event pipeline: work queues, KEDA and the workloads, for
// the dev and prod stack files and for edited configurations (two workloads; images only).

// pipelineCase is a stack file, optionally with edited config keys.
type pipelineCase struct {
	name, stack string
	edits       map[string]string
}

// twoWorkloads is a dev stack with a second workload that sets most of its keys.
const twoWorkloads = `[{"name":"worker"},{"name":"thumbnails","namespace":"media","image":"public.ecr.aws/eventscale/thumbnailer:v2",
 "cpu":"500m","memory":"1Gi","concurrency":4,"maxReplicas":5,"queueLength":3,"activationQueueLength":2,"scaleOnInFlight":false,
 "scaleDownStabilizationSeconds":60,"maxProcessingSeconds":45,"simulatedWorkSeconds":0,"pollingIntervalSeconds":15,"cooldownPeriodSeconds":90}]`

var pipelineCases = []pipelineCase{
	{name: "dev", stack: "dev"},
	{name: "prod", stack: "prod"},
	{name: "two-workloads", stack: "dev", edits: map[string]string{"eventscale:workloads": twoWorkloads}},
	{name: "images-only", stack: "dev", edits: map[string]string{
		"eventscale:workloads": `[{"name":"a","image":"ghcr.io/example/a:1"},{"name":"b","image":"ghcr.io/example/b:1"}]`}},
}

// pipelineRun is one program run with the config it was given.
type pipelineRun struct {
	rec *offline.Recording
	cfg stacks.Config
}

// runPipelineCase runs a case once per test binary and shares the result (read-only).
func runPipelineCase(t *testing.T, c pipelineCase) pipelineRun {
	t.Helper()
	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi." + c.stack + ".yaml")
	require.NoError(t, err)
	maps.Copy(raw, c.edits)
	cfg, err := stacks.Load(raw, offline.Project, c.stack)
	require.NoError(t, err, "config of case %s", c.name)
	rec, err := runs.Get("pipeline:"+c.name, func() (*offline.Recording, error) { return offline.Run(c.stack, raw, offline.Options{}) })
	require.NoError(t, err, "running case %s on mocks", c.name)
	return pipelineRun{rec: rec, cfg: cfg}
}

// forEachPipelineCase runs f as a parallel subtest per case.
func forEachPipelineCase(t *testing.T, f func(t *testing.T, r pipelineRun)) {
	for _, c := range pipelineCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f(t, runPipelineCase(t, c))
		})
	}
}

func (r pipelineRun) one(t *testing.T, typ, name string) offline.Resource {
	t.Helper()
	return one(t, r.rec, typ, name)
}

// children are the resources whose parent is urn.
func (r pipelineRun) children(urn string) []offline.Resource {
	var out []offline.Resource
	for _, x := range r.rec.Resources {
		if x.Parent == urn {
			out = append(out, x)
		}
	}
	return out
}

func (r pipelineRun) output(t *testing.T, key string) any {
	t.Helper()
	v, ok := r.rec.Outputs[key]
	require.True(t, ok, "stack output %s is missing", key)
	// Resolved outputs keep their Go types (map[string]string, ...); compare them as JSON values.
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var plain any
	require.NoError(t, json.Unmarshal(b, &plain))
	return plain
}

// queueURL and queueArn are the mocked outputs of a work queue (the offline mocks answer with
// the real formats: the id is the URL).
func (r pipelineRun) queueURL(t *testing.T, workload string) string {
	t.Helper()
	return r.one(t, typeSQSQueue, "queue-"+workload+"-main").ID
}

func (r pipelineRun) queueArn(workload string) string {
	return infra.QueueArn("aws", r.cfg.Region, offline.AccountID, infra.WorkQueueName(r.cfg.Cluster.Name, workload))
}

func (r pipelineRun) roleArn(t *testing.T, name string) string {
	t.Helper()
	return "arn:aws:iam::" + offline.AccountID + ":role/" + r.one(t, typeRole, name).ID
}

// oidcIssuer is the issuer as IAM condition keys spell it: the stand-in URL carries https://,
// which the program must strip.
func (r pipelineRun) oidcIssuer(t *testing.T) (arn, issuer string) {
	t.Helper()
	url := str(r.output(t, "oidcProviderUrl"))
	require.True(t, strings.HasPrefix(url, "https://"), "the stand-in OIDC URL must carry https:// for this test to mean anything, got %q", url)
	return str(r.output(t, "oidcProviderArn")), strings.TrimPrefix(url, "https://")
}

func jsonObject(t *testing.T, v any) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(str(v)), &m), "JSON text %v", v)
	return m
}

func keysOf(v any) []string {
	m, _ := v.(map[string]any)
	ks := slices.Collect(maps.Keys(m))
	sort.Strings(ks)
	return ks
}

func TestPipelineResourcesAndParents(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		n := len(r.cfg.Workloads)
		require.Positive(t, n)
		assert.Len(t, byType(r.rec, queue.TypeToken), n)
		assert.Len(t, byType(r.rec, workload.TypeToken), n)
		assert.Len(t, byType(r.rec, keda.TypeToken), 1)
		assert.Len(t, byType(r.rec, typeSQSQueue), 2*n+1, "a work queue and a DLQ per workload, plus Karpenter's interruption queue")
		assert.Len(t, byType(r.rec, typeScaledObject), n)
		assert.Len(t, byType(r.rec, typeTriggerAuth), n)
		assert.Len(t, byType(r.rec, typeDeployment), n)
		k8sProvider := byType(r.rec, typeK8sProvider)
		require.Len(t, k8sProvider, 1)

		expectChildren := func(compType, comp string, want map[string]string) {
			t.Helper()
			c := r.one(t, compType, comp)
			assert.True(t, strings.HasSuffix(c.Parent, "::pulumi:pulumi:Stack::eventscale-"+r.rec.Stack), "%s is a top-level component, parent %q", comp, c.Parent)
			got := map[string]string{}
			for _, ch := range r.children(c.URN) {
				got[ch.Name] = ch.Type
				if strings.HasPrefix(ch.Type, "kubernetes:") {
					assert.True(t, strings.HasPrefix(ch.Provider, k8sProvider[0].URN+"::"), "%s %s must use the cluster's Kubernetes provider, got %q", ch.Type, ch.Name, ch.Provider)
				}
			}
			assert.Equal(t, want, got, "children of %s", comp)
		}
		expectChildren(keda.TypeToken, "keda", map[string]string{
			"keda-namespace": typeNamespace, "keda-operator-role": typeRole, "keda-operator-policy": typeRolePolicy, "keda-chart": typeChart,
		})
		for _, w := range r.cfg.Workloads {
			q := "queue-" + w.Name
			expectChildren(queue.TypeToken, q, map[string]string{
				q + "-main": typeSQSQueue, q + "-dlq": typeSQSQueue, q + "-main-policy": typeQueuePolicy, q + "-dlq-policy": typeQueuePolicy,
			})
			wl := "workload-" + w.Name
			expectChildren(workload.TypeToken, wl, map[string]string{
				wl + "-role": typeRole, wl + "-role-policy": typeRolePolicy, wl + "-namespace": typeNamespace,
				wl + "-network-policy": typeNetworkPolicy, wl + "-service-account": typeSA, wl + "-deployment": typeDeployment,
				wl + "-trigger-auth": typeTriggerAuth, wl + "-scaled-object": typeScaledObject,
			})
		}
	})
}

// TestPipelinePodSecurityAndNetworkPolicy: every namespace the stack creates carries the Pod
// Security Standards labels (enforce, audit, warn, each pinned to infra.PodSecurityVersion):
// restricted for the workloads, KEDA's level for KEDA's. Each workload namespace has a
// default-deny NetworkPolicy that exists before the worker's pods, and the worker's pods get no
// Kubernetes API token.
func TestPipelinePodSecurityAndNetworkPolicy(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		want := map[string]string{r.cfg.Keda.Namespace: infra.KedaPodSecurityLevel}
		for _, w := range r.cfg.Workloads {
			want[w.Namespace] = infra.PodSecurityRestricted
		}
		namespaces := byType(r.rec, typeNamespace)
		assert.Len(t, namespaces, len(want), "kube-system (Karpenter's default namespace) is not the stack's and is never sent")
		for _, ns := range namespaces {
			name := str(offline.Lookup(ns.Inputs, "metadata", "name"))
			level, ok := want[name]
			if !assert.True(t, ok, "unexpected namespace %s", name) {
				continue
			}
			labels := offline.Lookup(ns.Inputs, "metadata", "labels").(map[string]any)
			for _, mode := range []string{"enforce", "audit", "warn"} {
				assert.Equal(t, level, labels["pod-security.kubernetes.io/"+mode], "%s: %s", name, mode)
				assert.Equal(t, infra.PodSecurityVersion, labels["pod-security.kubernetes.io/"+mode+"-version"], "%s: %s version", name, mode)
			}
		}
		for _, w := range r.cfg.Workloads {
			wl := "workload-" + w.Name
			ns := r.one(t, typeNamespace, wl+"-namespace")
			np := r.one(t, typeNetworkPolicy, wl+"-network-policy")
			assert.Equal(t, w.Name+"-default-deny", offline.Lookup(np.Inputs, "metadata", "name"))
			assert.Equal(t, w.Namespace, offline.Lookup(np.Inputs, "metadata", "namespace"))
			spec := specOf(np)
			assert.Equal(t, map[string]any{}, spec["podSelector"], "every pod of the namespace")
			assert.Equal(t, []any{"Ingress", "Egress"}, spec["policyTypes"])
			assert.NotContains(t, spec, "ingress", "no ingress allowed")
			egress := spec["egress"].([]any)
			require.Len(t, egress, 2)
			assert.Equal(t, []any{map[string]any{"protocol": "UDP", "port": int64(53)}, map[string]any{"protocol": "TCP", "port": int64(53)}},
				offline.Lookup(egress[0], "ports"), "DNS")
			assert.Equal(t, []any{map[string]any{"ipBlock": map[string]any{"cidr": "0.0.0.0/0"}}}, offline.Lookup(egress[1], "to"), "HTTPS to AWS")
			assert.Equal(t, []any{map[string]any{"protocol": "TCP", "port": int64(443)}}, offline.Lookup(egress[1], "ports"), "HTTPS to AWS")
			assert.Contains(t, np.Depends, ns.URN, "the policy is created in its namespace")

			d := r.one(t, typeDeployment, wl+"-deployment")
			assert.Contains(t, d.Depends, np.URN, "no worker pod runs before its namespace's policy exists")
			assert.Equal(t, false, offline.Lookup(d.Inputs, "spec", "template", "spec", "automountServiceAccountToken"))
		}
	})
}

func TestPipelineQueues(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		qc := r.cfg.Queue
		for _, w := range r.cfg.Workloads {
			name := infra.WorkQueueName(r.cfg.Cluster.Name, w.Name)
			main := r.one(t, typeSQSQueue, "queue-"+w.Name+"-main")
			dlq := r.one(t, typeSQSQueue, "queue-"+w.Name+"-dlq")
			dlqArn := infra.QueueArn("aws", r.cfg.Region, offline.AccountID, name+"-dlq")

			assert.Equal(t, name, main.Inputs["name"])
			assert.Equal(t, name+"-dlq", dlq.Inputs["name"])
			for _, q := range []offline.Resource{main, dlq} {
				assert.Equal(t, true, q.Inputs["sqsManagedSseEnabled"], "%s: SSE-SQS", q.Name)
				assert.NotContains(t, q.Inputs, "kmsMasterKeyId", q.Name)
				assert.Equal(t, int64(qc.ReceiveWaitTimeSeconds), q.Inputs["receiveWaitTimeSeconds"], "%s: long polling", q.Name)
				assert.Equal(t, qc.Protect, q.Protect, "%s: protect follows queue.protect", q.Name)
				assert.Equal(t, w.Name, strMap(q.Inputs["tags"])["eventscale:workload"])
			}
			assert.Equal(t, int64(qc.VisibilityTimeoutSeconds), main.Inputs["visibilityTimeoutSeconds"])
			assert.Greater(t, qc.VisibilityTimeoutSeconds, w.MaxProcessingSeconds)
			assert.Equal(t, int64(qc.MessageRetentionSeconds), main.Inputs["messageRetentionSeconds"])
			assert.Equal(t, int64(qc.DlqRetentionSeconds), dlq.Inputs["messageRetentionSeconds"])
			assert.Equal(t, map[string]any{"deadLetterTargetArn": dlqArn, "maxReceiveCount": float64(qc.MaxReceiveCount)},
				jsonObject(t, main.Inputs["redrivePolicy"]))
			assert.NotContains(t, dlq.Inputs, "redrivePolicy")
			assert.Equal(t, map[string]any{"redrivePermission": "byQueue", "sourceQueueArns": []any{r.queueArn(w.Name)}},
				jsonObject(t, dlq.Inputs["redriveAllowPolicy"]), "only the work queue may redrive into the DLQ")
			assert.Contains(t, main.Depends, dlq.URN)

			for _, p := range []struct {
				policy, url, arn string
			}{
				{"queue-" + w.Name + "-main-policy", main.ID, r.queueArn(w.Name)},
				{"queue-" + w.Name + "-dlq-policy", dlq.ID, dlqArn},
			} {
				pol := r.one(t, typeQueuePolicy, p.policy)
				assert.Equal(t, p.url, pol.Inputs["queueUrl"])
				assert.Equal(t, infra.PolicyDocument{Version: "2012-10-17", Statement: []infra.Statement{{
					Sid: "DenyHTTP", Effect: "Deny", Principal: map[string]any{"AWS": "*"}, Action: []string{"sqs:*"},
					Resource:  []string{p.arn},
					Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
				}}}, decodePolicy(t, pol.Inputs["policy"]), p.policy)
			}
		}
	})
}

func TestPipelineIAM(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		oidcArn, issuer := r.oidcIssuer(t)
		trust := func(ns, sa string) infra.PolicyDocument {
			return infra.PolicyDocument{Version: "2012-10-17", Statement: []infra.Statement{{
				Effect: "Allow", Principal: map[string]any{"Federated": oidcArn}, Action: []string{"sts:AssumeRoleWithWebIdentity"},
				Condition: map[string]map[string]any{"StringEquals": {
					issuer + ":sub": "system:serviceaccount:" + ns + ":" + sa,
					issuer + ":aud": "sts.amazonaws.com",
				}},
			}}}
		}

		// KEDA: trusted for keda:keda-operator, reads the depth of every work queue, nothing else.
		kedaRole := r.one(t, typeRole, "keda-operator-role")
		assert.Equal(t, trust(r.cfg.Keda.Namespace, "keda-operator"), decodePolicy(t, kedaRole.Inputs["assumeRolePolicy"]))
		assert.NotContains(t, str(kedaRole.Inputs["assumeRolePolicy"]), "https://")
		kedaPolicy := decodePolicy(t, r.one(t, typeRolePolicy, "keda-operator-policy").Inputs["policy"])
		require.Len(t, kedaPolicy.Statement, 1)
		st := kedaPolicy.Statement[0]
		assert.Equal(t, "Allow", st.Effect)
		assert.Equal(t, []string{"sqs:GetQueueAttributes"}, st.Action)
		var arns []string
		for _, w := range r.cfg.Workloads {
			arns = append(arns, r.queueArn(w.Name))
		}
		assert.ElementsMatch(t, arns, st.Resource, "the work queues, not the DLQs or Karpenter's queue")
		assert.Equal(t, kedaRole.ID, r.one(t, typeRolePolicy, "keda-operator-policy").Inputs["role"])

		// Each workload: trusted for its own service account, consumes its own queue only.
		for _, w := range r.cfg.Workloads {
			role := r.one(t, typeRole, "workload-"+w.Name+"-role")
			assert.Equal(t, trust(w.Namespace, w.Name), decodePolicy(t, role.Inputs["assumeRolePolicy"]), w.Name)
			assert.NotContains(t, str(role.Inputs["assumeRolePolicy"]), "https://")
			pol := r.one(t, typeRolePolicy, "workload-"+w.Name+"-role-policy")
			assert.Equal(t, role.ID, pol.Inputs["role"])
			doc := decodePolicy(t, pol.Inputs["policy"])
			require.Len(t, doc.Statement, 1)
			assert.Equal(t, "Allow", doc.Statement[0].Effect)
			assert.ElementsMatch(t, []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"},
				doc.Statement[0].Action)
			assert.Equal(t, []string{r.queueArn(w.Name)}, doc.Statement[0].Resource)
			assert.Empty(t, doc.Statement[0].Condition)
		}
	})
}

func TestPipelineKedaChart(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		k := r.cfg.Keda
		chart := r.one(t, typeChart, "keda-chart")
		assert.True(t, chart.Remote, "helm/v4 Chart (a provider-side component)")
		assert.Equal(t, "keda", chart.Inputs["chart"])
		// The program asks for its pin; the verify tier checks the chart it names against the
		// published chart (Chart.yaml of github.com/kedacore/charts at that release).
		assert.Equal(t, infra.KedaVersion, chart.Inputs["version"])
		assert.Equal(t, "https://kedacore.github.io/charts", offline.Lookup(chart.Inputs, "repositoryOpts", "repo"))
		assert.Equal(t, "keda", chart.Inputs["name"], "explicit release name")
		assert.Equal(t, k.Namespace, chart.Inputs["namespace"])

		values := chart.Inputs["values"]
		assert.Equal(t, true, offline.Lookup(values, "podIdentity", "aws", "irsa", "enabled"))
		assert.Equal(t, r.roleArn(t, "keda-operator-role"), offline.Lookup(values, "podIdentity", "aws", "irsa", "roleArn"))
		assert.Equal(t, str(r.output(t, "kedaRoleArn")), offline.Lookup(values, "podIdentity", "aws", "irsa", "roleArn"))
		// The tutorial's fallback annotates all three KEDA service accounts.
		assert.Nil(t, offline.Lookup(values, "serviceAccount", "annotations"))
		assert.Nil(t, offline.Lookup(values, "serviceAccount", "operator", "annotations"))
		assert.Equal(t, "keda-operator", offline.Lookup(values, "serviceAccount", "operator", "name"), "the trust's sub is derived from this name")
		assert.Equal(t, int64(k.OperatorReplicas), offline.Lookup(values, "operator", "replicaCount"))
		for comp, want := range map[string][2]string{
			"operator": {k.OperatorCPU, k.OperatorMemory}, "metricServer": {k.MetricsServerCPU, k.MetricsServerMemory}, "webhooks": {k.WebhooksCPU, k.WebhooksMemory},
		} {
			res := map[string]any{"cpu": want[0], "memory": want[1]}
			assert.Equal(t, res, offline.Lookup(values, "resources", comp, "requests"), comp)
			assert.Equal(t, res, offline.Lookup(values, "resources", comp, "limits"), "%s: requests = limits (Fargate sizing)", comp)
		}

		// The chart waits for the namespace, the operator's permissions and the Fargate profile + CoreDNS.
		assert.Contains(t, chart.Depends, r.one(t, typeNamespace, "keda-namespace").URN)
		assert.Contains(t, chart.Depends, r.one(t, typeRolePolicy, "keda-operator-policy").URN)
		assert.Contains(t, chart.Depends, r.one(t, "aws:eks/fargateProfile:FargateProfile", "cluster-fargate-system").URN)
		assert.Contains(t, chart.Depends, r.one(t, "aws:eks/addon:Addon", "cluster-coredns").URN)

		ns := r.one(t, typeNamespace, "keda-namespace")
		assert.Equal(t, k.Namespace, offline.Lookup(ns.Inputs, "metadata", "name"))
		assert.Contains(t, r.cfg.Fargate.Namespaces, k.Namespace, "KEDA runs on Fargate")
	})
}

func TestPipelineWorkloadObjects(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		chartURN := r.one(t, typeChart, "keda-chart").URN
		repoURL := ""
		if repos := byType(r.rec, typeECRRepo); len(repos) == 1 {
			repoURL = offline.AccountID + ".dkr.ecr." + r.cfg.Region + ".amazonaws.com/" + str(repos[0].Inputs["name"])
		}
		for _, w := range r.cfg.Workloads {
			p := "workload-" + w.Name
			queueURL := r.queueURL(t, w.Name)
			require.True(t, strings.HasPrefix(queueURL, "https://sqs."+r.cfg.Region+"."), queueURL)

			ns := r.one(t, typeNamespace, p+"-namespace")
			assert.Equal(t, w.Namespace, offline.Lookup(ns.Inputs, "metadata", "name"))
			assert.NotContains(t, r.cfg.Fargate.Namespaces, w.Namespace, "the workload's pods must land on Karpenter nodes")

			sa := r.one(t, typeSA, p+"-service-account")
			assert.Equal(t, w.Name, offline.Lookup(sa.Inputs, "metadata", "name"))
			assert.Equal(t, w.Namespace, offline.Lookup(sa.Inputs, "metadata", "namespace"))
			assert.Equal(t, map[string]any{"eks.amazonaws.com/role-arn": r.roleArn(t, p+"-role"), infra.PatchForceAnnotation: "true"}, offline.Lookup(sa.Inputs, "metadata", "annotations"))
			assert.Contains(t, sa.Depends, ns.URN)

			d := r.one(t, typeDeployment, p+"-deployment")
			spec := d.Inputs["spec"]
			assert.Equal(t, int64(0), offline.Lookup(spec, "replicas"), "created with 0 replicas: no pod before KEDA's first poll")
			assert.Equal(t, []string{"spec.replicas"}, d.IgnoreChanges, "after creation KEDA and its HPA own the replica count")
			assert.Equal(t, w.Namespace, offline.Lookup(d.Inputs, "metadata", "namespace"))
			pod := offline.Lookup(spec, "template", "spec")
			for _, k := range []string{"nodeSelector", "affinity", "tolerations", "nodeName"} {
				assert.NotContains(t, keysOf(pod), k, "nothing may keep the pod off Karpenter's nodes")
			}
			assert.Equal(t, w.Name, offline.Lookup(pod, "serviceAccountName"))
			containers, _ := offline.Lookup(pod, "containers").([]any)
			require.Len(t, containers, 1)
			c := containers[0]
			wantImage := w.Image
			if wantImage == "" {
				require.NotEmpty(t, repoURL, "a workload without image needs the stack's repository")
				wantImage = repoURL + ":" + w.ImageTag
			}
			assert.Equal(t, wantImage, offline.Lookup(c, "image"))
			env := map[string]string{}
			for _, e := range offline.Lookup(c, "env").([]any) {
				env[str(offline.Lookup(e, "name"))] = str(offline.Lookup(e, "value"))
			}
			shutdown := time.Duration(w.MaxProcessingSeconds+5) * time.Second
			assert.Equal(t, map[string]string{
				"QUEUE_URL":                           queueURL,
				"AWS_REGION":                          r.cfg.Region,
				"WORKER_CONCURRENCY":                  strconv.Itoa(w.Concurrency),
				"WORKER_BATCH_SIZE":                   "10",
				"WORKER_WAIT_SECONDS":                 strconv.Itoa(r.cfg.Queue.ReceiveWaitTimeSeconds),
				"WORKER_VISIBILITY_EXTENSION_SECONDS": strconv.Itoa(r.cfg.Queue.VisibilityTimeoutSeconds),
				"WORKER_SHUTDOWN_TIMEOUT":             fmt.Sprintf("%ds", w.MaxProcessingSeconds+5),
				"WORKER_SIMULATED_WORK":               fmt.Sprintf("%ds", w.SimulatedWorkSeconds),
				"WORKER_HEALTH_ADDR":                  ":8080",
			}, env)
			parsed, err := time.ParseDuration(env["WORKER_SHUTDOWN_TIMEOUT"])
			require.NoError(t, err)
			assert.Equal(t, shutdown, parsed)
			grace, _ := offline.Lookup(pod, "terminationGracePeriodSeconds").(int64)
			assert.Equal(t, int64(shutdown/time.Second)+5, grace)
			assert.Greater(t, time.Duration(grace)*time.Second, parsed, "the kubelet must not kill a draining worker")
			res := map[string]any{"cpu": w.CPU, "memory": w.Memory}
			assert.Equal(t, map[string]any{"requests": res, "limits": res}, offline.Lookup(c, "resources"))
			assert.Equal(t, "/healthz", offline.Lookup(c, "livenessProbe", "httpGet", "path"))
			assert.Equal(t, int64(8080), offline.Lookup(c, "livenessProbe", "httpGet", "port"))
			assert.Equal(t, "/readyz", offline.Lookup(c, "readinessProbe", "httpGet", "path"))
			assert.Equal(t, int64(8080), offline.Lookup(c, "readinessProbe", "httpGet", "port"))
			assert.Equal(t, true, offline.Lookup(pod, "securityContext", "runAsNonRoot"))
			assert.Equal(t, true, offline.Lookup(c, "securityContext", "readOnlyRootFilesystem"))
			assert.Equal(t, false, offline.Lookup(c, "securityContext", "allowPrivilegeEscalation"))
			assert.Equal(t, []any{"ALL"}, offline.Lookup(c, "securityContext", "capabilities", "drop"))
			assert.Equal(t, offline.Lookup(spec, "selector", "matchLabels", "app.kubernetes.io/name"), offline.Lookup(spec, "template", "metadata", "labels", "app.kubernetes.io/name"))
			if when := map[string]string{"preferred": "ScheduleAnyway", "required": "DoNotSchedule"}[w.ZoneSpread]; when != "" {
				assert.Equal(t, []any{map[string]any{
					"maxSkew": int64(1), "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": when,
					"labelSelector":  map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": w.Name}},
					"matchLabelKeys": []any{"pod-template-hash"},
				}}, offline.Lookup(pod, "topologySpreadConstraints"), "zone spread over this workload's own pods")
			} else {
				assert.NotContains(t, keysOf(pod), "topologySpreadConstraints", "zoneSpread %q sets no spread", w.ZoneSpread)
			}
			assert.Contains(t, d.Depends, ns.URN)
			assert.Contains(t, d.Depends, sa.URN)

			ta := r.one(t, typeTriggerAuth, p+"-trigger-auth")
			assert.Equal(t, w.Namespace, offline.Lookup(ta.Inputs, "metadata", "namespace"))
			assert.Equal(t, map[string]any{"provider": "aws", "identityOwner": "keda"}, offline.Lookup(ta.Inputs, "spec", "podIdentity"))
			assert.Contains(t, ta.Depends, chartURN, "KEDA's CRDs come from the chart")

			so := r.one(t, typeScaledObject, p+"-scaled-object")
			soSpec := so.Inputs["spec"]
			wantKeys := []string{"cooldownPeriod", "maxReplicaCount", "minReplicaCount", "pollingInterval", "scaleTargetRef", "triggers"}
			if w.ScaleDownStabilizationSeconds != nil {
				wantKeys = append(wantKeys, "advanced")
				sort.Strings(wantKeys)
				assert.Equal(t, int64(*w.ScaleDownStabilizationSeconds),
					offline.Lookup(soSpec, "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown", "stabilizationWindowSeconds"))
			}
			assert.Equal(t, wantKeys, keysOf(soSpec), "replica bounds, polling, cooldown and triggers are siblings under spec")
			assert.Equal(t, map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": offline.Lookup(d.Inputs, "metadata", "name")},
				offline.Lookup(soSpec, "scaleTargetRef"), "scaleTargetRef holds the reference only")
			assert.Equal(t, int64(w.MinReplicas), offline.Lookup(soSpec, "minReplicaCount"))
			assert.Equal(t, int64(w.MaxReplicas), offline.Lookup(soSpec, "maxReplicaCount"))
			assert.Equal(t, int64(w.PollingIntervalSeconds), offline.Lookup(soSpec, "pollingInterval"))
			assert.Equal(t, int64(w.CooldownPeriodSeconds), offline.Lookup(soSpec, "cooldownPeriod"))
			triggers, _ := offline.Lookup(soSpec, "triggers").([]any)
			require.Len(t, triggers, 1)
			tr := triggers[0]
			assert.Equal(t, "aws-sqs-queue", offline.Lookup(tr, "type"))
			assert.Equal(t, map[string]any{
				"queueURL":              queueURL,
				"queueLength":           strconv.Itoa(w.QueueLength),
				"activationQueueLength": strconv.Itoa(w.ActivationQueueLength),
				"awsRegion":             r.cfg.Region,
				"scaleOnInFlight":       strconv.FormatBool(w.ScaleOnInFlight),
			}, offline.Lookup(tr, "metadata"), "all metadata are strings; queueURL is this workload's queue")
			for k, v := range offline.Lookup(tr, "metadata").(map[string]any) {
				assert.IsType(t, "", v, "trigger metadata %s", k)
			}
			assert.Equal(t, offline.Lookup(ta.Inputs, "metadata", "name"), offline.Lookup(tr, "authenticationRef", "name"))
			assert.Contains(t, so.Depends, chartURN, "KEDA's CRDs come from the chart")
			assert.Contains(t, so.Depends, ta.URN)
			assert.Contains(t, so.Depends, d.URN)
		}
	})
}

// The dev stack reproduces the tutorial's numbers, now where KEDA reads them.
func TestPipelineDevReproducesTutorial(t *testing.T) {
	t.Parallel()
	r := runPipelineCase(t, pipelineCases[0])
	require.Len(t, r.cfg.Workloads, 1)
	so := r.one(t, typeScaledObject, "workload-worker-scaled-object").Inputs["spec"]
	assert.Equal(t, int64(0), offline.Lookup(so, "minReplicaCount"))
	assert.Equal(t, int64(2), offline.Lookup(so, "maxReplicaCount"))
	assert.Equal(t, int64(10), offline.Lookup(so, "pollingInterval"))
	assert.Equal(t, int64(25), offline.Lookup(so, "cooldownPeriod"))
	assert.Equal(t, "1", offline.Lookup(so, "triggers").([]any)[0].(map[string]any)["metadata"].(map[string]any)["queueLength"])
	c := offline.Lookup(r.one(t, typeDeployment, "workload-worker-deployment").Inputs, "spec", "template", "spec", "containers").([]any)[0]
	assert.Equal(t, map[string]any{"cpu": "1", "memory": "3Gi"}, offline.Lookup(c, "resources", "limits"))
	assert.NotContains(t, keysOf(offline.Lookup(r.one(t, typeDeployment, "workload-worker-deployment").Inputs, "spec", "template", "spec")), "topologySpreadConstraints",
		"dev keeps the tutorial's scheduling: one pod per 2-vCPU node, no spread")
	assert.Equal(t, float64(5), offline.Lookup(jsonObject(t, r.one(t, typeSQSQueue, "queue-worker-main").Inputs["redrivePolicy"]), "maxReceiveCount"))
	assert.Equal(t, int64(20), r.one(t, typeSQSQueue, "queue-worker-main").Inputs["receiveWaitTimeSeconds"])
}

func TestPipelineImageRepository(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		needsRepo := slices.ContainsFunc(r.cfg.Workloads, func(w infra.WorkloadSettings) bool { return w.Image == "" })
		repos := byType(r.rec, typeECRRepo)
		if !needsRepo {
			assert.Empty(t, repos, "every workload names its image")
			assert.NotContains(t, r.rec.Outputs, "imageRepositoryUrl")
			return
		}
		require.Len(t, repos, 1, "one repository per stack")
		repo := repos[0]
		assert.Equal(t, infra.ECRRepositoryName(r.cfg.Cluster.Name), repo.Inputs["name"])
		assert.Equal(t, map[string]any{"scanOnPush": true}, repo.Inputs["imageScanningConfiguration"])
		assert.Equal(t, r.cfg.Registry.ImageTagMutability, repo.Inputs["imageTagMutability"])
		assert.Equal(t, r.cfg.Registry.ForceDelete, repo.Inputs["forceDelete"], "force delete follows registry.forceDelete")
		assert.Equal(t, offline.AccountID+".dkr.ecr."+r.cfg.Region+".amazonaws.com/"+str(repo.Inputs["name"]), r.output(t, "imageRepositoryUrl"))
	})
}

// The prod worker spreads over zones (Pulumi.prod.yaml: zoneSpread preferred).
func TestPipelineProdWorkersSpreadOverZones(t *testing.T) {
	t.Parallel()
	r := runPipelineCase(t, pipelineCases[1])
	require.Len(t, r.cfg.Workloads, 1)
	assert.Equal(t, "preferred", r.cfg.Workloads[0].ZoneSpread)
	pod := offline.Lookup(r.one(t, typeDeployment, "workload-worker-deployment").Inputs, "spec", "template", "spec")
	tsc, _ := offline.Lookup(pod, "topologySpreadConstraints").([]any)
	require.Len(t, tsc, 1)
	assert.Equal(t, "topology.kubernetes.io/zone", offline.Lookup(tsc[0], "topologyKey"))
	assert.Equal(t, "ScheduleAnyway", offline.Lookup(tsc[0], "whenUnsatisfiable"))
}

func TestPipelineProdQueuesProtected(t *testing.T) {
	t.Parallel()
	prod := runPipelineCase(t, pipelineCases[1])
	require.True(t, prod.cfg.Queue.Protect, "Pulumi.prod.yaml sets queue.protect")
	dev := runPipelineCase(t, pipelineCases[0])
	for _, r := range []pipelineRun{prod, dev} {
		for _, w := range r.cfg.Workloads {
			for _, q := range []string{"-main", "-dlq"} {
				assert.Equal(t, r.cfg.Queue.Protect, r.one(t, typeSQSQueue, "queue-"+w.Name+q).Protect, "%s %s", r.rec.Stack, q)
			}
		}
	}
}

func TestPipelineExports(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		names := make([]string, 0, len(r.cfg.Workloads))
		for _, w := range r.cfg.Workloads {
			names = append(names, w.Name)
		}
		for _, key := range []string{"queueUrls", "queueArns", "dlqUrls", "dlqArns", "workloadRoleArns", "workloadNamespaces"} {
			assert.ElementsMatch(t, names, keysOf(r.output(t, key)), "%s is keyed by workload name", key)
		}
		assert.Equal(t, r.cfg.Keda.Namespace, r.output(t, "kedaNamespace"))
		assert.Equal(t, r.roleArn(t, "keda-operator-role"), r.output(t, "kedaRoleArn"))
		cmd := str(r.output(t, "sendTestMessages"))
		lines := strings.Split(cmd, "\n")
		require.Len(t, lines, len(names), "one command per workload")
		for i, w := range r.cfg.Workloads {
			url := r.queueURL(t, w.Name)
			assert.Equal(t, url, offline.Lookup(r.output(t, "queueUrls"), w.Name))
			assert.Equal(t, r.queueArn(w.Name), offline.Lookup(r.output(t, "queueArns"), w.Name))
			dlq := r.one(t, typeSQSQueue, "queue-"+w.Name+"-dlq")
			assert.Equal(t, dlq.ID, offline.Lookup(r.output(t, "dlqUrls"), w.Name))
			assert.Equal(t, "arn:aws:sqs:"+r.cfg.Region+":"+offline.AccountID+":"+str(dlq.Inputs["name"]), offline.Lookup(r.output(t, "dlqArns"), w.Name),
				"the DLQ's ARN, the source of `aws sqs start-message-move-task`")
			assert.Equal(t, r.roleArn(t, "workload-"+w.Name+"-role"), offline.Lookup(r.output(t, "workloadRoleArns"), w.Name))
			assert.Equal(t, w.Namespace, offline.Lookup(r.output(t, "workloadNamespaces"), w.Name))
			assert.Equal(t, infra.SendTestMessagesCommand(url, r.cfg.Region, 3), lines[i])
			assert.True(t, strings.HasPrefix(lines[i], "aws sqs send-message-batch --region "+r.cfg.Region+" --queue-url "+url+" --entries Id=1,"), lines[i])
		}
	})
}

// A strictly decoded key the pipeline does not know stops the program before anything is
// registered, like a refused value does (TestInvalidConfigRegistersNothing). Each rule's own
// message is a table case of stacks.TestValidateRejects or stacks.TestLoadDecodesStrictly.
func TestPipelineConfigRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edits map[string]string
		want  []string
	}{
		{"unknown workload key (the tutorial's nesting)", map[string]string{"eventscale:workloads": `[{"name":"worker","scaleTargetRef":{"minReplicaCount":0}}]`},
			[]string{"eventscale:workloads[0].scaleTargetRef is not a known key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := stacks.ReadStackFile(projectDir + "/Pulumi.dev.yaml")
			require.NoError(t, err)
			maps.Copy(raw, tt.edits)
			rec, err := offline.Run("dev", raw, offline.Options{})
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, r := range rec.Resources {
				assert.True(t, r.StandIn, "registered %s %s despite invalid config", r.Type, r.Name)
			}
		})
	}
}
