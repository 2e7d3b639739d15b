package infra

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testWorkloadSettings() WorkloadObjectSettings {
	return WorkloadObjectSettings{
		WorkloadSettings: WorkloadSettings{
			Name: "worker", Namespace: "worker", Image: "123456789012.dkr.ecr.us-west-2.amazonaws.com/eventscale-dev/worker:latest",
			CPU: "1", Memory: "3Gi",
			Concurrency: 1, MaxProcessingSeconds: 30, SimulatedWorkSeconds: 1,
			MinReplicas: 0, MaxReplicas: 2, PollingIntervalSeconds: 10, CooldownPeriodSeconds: 25,
			QueueLength: 1, ActivationQueueLength: 0, ScaleOnInFlight: true,
		},
		Queue:    QueueSettings{ReceiveWaitTimeSeconds: 20, VisibilityTimeoutSeconds: 60},
		QueueURL: "https://sqs.us-west-2.amazonaws.com/123456789012/eventscale-dev-worker", Region: "us-west-2",
		RoleArn: "arn:aws:iam::123456789012:role/worker",
	}
}

func TestWorkerEnvIsTheContract(t *testing.T) {
	t.Parallel()
	s := testWorkloadSettings()
	assert.Equal(t, []EnvVar{
		{"QUEUE_URL", s.QueueURL},
		{"AWS_REGION", "us-west-2"},
		{"WORKER_CONCURRENCY", "1"},
		{"WORKER_BATCH_SIZE", "10"},
		{"WORKER_WAIT_SECONDS", "20"},
		{"WORKER_VISIBILITY_EXTENSION_SECONDS", "60"},
		{"WORKER_SHUTDOWN_TIMEOUT", "35s"},
		{"WORKER_SIMULATED_WORK", "1s"},
		{"WORKER_HEALTH_ADDR", ":8080"},
	}, WorkerEnv(s))
	s.SimulatedWorkSeconds, s.MaxProcessingSeconds = 0, 600
	env := map[string]string{}
	for _, e := range WorkerEnv(s) {
		env[e.Name] = e.Value
	}
	assert.Equal(t, "0s", env["WORKER_SIMULATED_WORK"])
	assert.Equal(t, "605s", env["WORKER_SHUTDOWN_TIMEOUT"])
	d, err := time.ParseDuration(env["WORKER_SHUTDOWN_TIMEOUT"])
	require.NoError(t, err)
	assert.Equal(t, 605*time.Second, d)
}

func TestWorkloadDeployment(t *testing.T) {
	t.Parallel()
	s := testWorkloadSettings()
	d := toMap(t, WorkloadDeployment(s))
	spec := d["spec"].(map[string]any)
	assert.Equal(t, float64(0), spec["replicas"], "created with 0 replicas, sent even though 0 (absent, the API server makes it 1)")
	pod := spec["template"].(map[string]any)["spec"].(map[string]any)
	assert.Equal(t, float64(40), pod["terminationGracePeriodSeconds"])
	assert.Greater(t, TerminationGracePeriodSeconds(s.MaxProcessingSeconds), int64(ShutdownTimeout(s.MaxProcessingSeconds)/time.Second))
	assert.Equal(t, "worker", pod["serviceAccountName"])
	for _, k := range []string{"nodeSelector", "affinity", "tolerations", "nodeName", "runtimeClassName"} {
		assert.NotContains(t, pod, k, "nothing may keep the pod off Karpenter's nodes")
	}
	assert.Equal(t, map[string]any{"runAsNonRoot": true, "runAsUser": float64(65532), "runAsGroup": float64(65532),
		"seccompProfile": map[string]any{"type": "RuntimeDefault"}}, pod["securityContext"])
	containers := pod["containers"].([]any)
	require.Len(t, containers, 1)
	c := containers[0].(map[string]any)
	assert.Equal(t, s.Image, c["image"])
	assert.Equal(t, map[string]any{"requests": map[string]any{"cpu": "1", "memory": "3Gi"}, "limits": map[string]any{"cpu": "1", "memory": "3Gi"}}, c["resources"])
	assert.Equal(t, map[string]any{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
		"capabilities": map[string]any{"drop": []any{"ALL"}}}, c["securityContext"])
	live := c["livenessProbe"].(map[string]any)["httpGet"].(map[string]any)
	ready := c["readinessProbe"].(map[string]any)["httpGet"].(map[string]any)
	assert.Equal(t, map[string]any{"path": "/healthz", "port": float64(8080)}, live)
	assert.Equal(t, map[string]any{"path": "/readyz", "port": float64(8080)}, ready)
	assert.Equal(t, map[string]any{"app.kubernetes.io/name": "worker"}, spec["selector"].(map[string]any)["matchLabels"])
	podLabels := spec["template"].(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)
	assert.Equal(t, "worker", podLabels["app.kubernetes.io/name"], "the pod template must match the selector")
	assert.Equal(t, map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": float64(0), "maxUnavailable": float64(1)}}, spec["strategy"])
	assert.NotContains(t, pod, "topologySpreadConstraints", "no zone spread unless asked for")
}

func TestWorkloadDeploymentZoneSpread(t *testing.T) {
	t.Parallel()
	for mode, want := range map[string]string{ZoneSpreadPreferred: "ScheduleAnyway", ZoneSpreadRequired: "DoNotSchedule", ZoneSpreadNone: "", "": ""} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s := testWorkloadSettings()
			s.ZoneSpread = mode
			d := WorkloadDeployment(s)
			tsc := d.Spec.Template.Spec.TopologySpreadConstraints
			if want == "" {
				assert.Empty(t, tsc)
				assert.NotContains(t, toMap(t, d)["spec"].(map[string]any)["template"].(map[string]any)["spec"], "topologySpreadConstraints")
				return
			}
			require.Len(t, tsc, 1)
			assert.Equal(t, TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: want,
				LabelSelector:  LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "worker"}},
				MatchLabelKeys: []string{"pod-template-hash"},
			}, tsc[0])
			// The selector counts the workload's own pods: it matches the pod template's labels.
			for k, v := range tsc[0].LabelSelector.MatchLabels {
				assert.Equal(t, v, d.Spec.Template.Metadata.Labels[k], "pod label %s", k)
			}
			// A second workload's constraint does not count this one's pods.
			other := ZoneSpreadConstraints(mode, "other")
			assert.Equal(t, map[string]string{"app.kubernetes.io/name": "other"}, other[0].LabelSelector.MatchLabels)
		})
	}
	assert.Nil(t, ZoneSpreadConstraints("sometimes", "worker"), "an unknown mode (refused by config validation) adds nothing")
}

func TestWorkloadServiceAccountCarriesRole(t *testing.T) {
	t.Parallel()
	sa := WorkloadServiceAccount(testWorkloadSettings())
	assert.Equal(t, "ServiceAccount", sa.Kind)
	assert.Equal(t, "worker", sa.Metadata.Name)
	assert.Equal(t, "worker", sa.Metadata.Namespace)
	assert.Equal(t, map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/worker"}, sa.Metadata.Annotations)
}

func TestWorkloadScaledObject(t *testing.T) {
	t.Parallel()
	s := testWorkloadSettings()
	so := toMap(t, WorkloadScaledObject(s))
	assert.Equal(t, "keda.sh/v1alpha1", so["apiVersion"])
	assert.Equal(t, "ScaledObject", so["kind"])
	spec := so["spec"].(map[string]any)
	// The tutorial nested these under scaleTargetRef; they are siblings of it under spec.
	assert.Equal(t, map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "worker"}, spec["scaleTargetRef"])
	assert.Equal(t, float64(0), spec["minReplicaCount"])
	assert.Equal(t, float64(2), spec["maxReplicaCount"])
	assert.Equal(t, float64(10), spec["pollingInterval"])
	assert.Equal(t, float64(25), spec["cooldownPeriod"])
	assert.NotContains(t, spec, "advanced")
	triggers := spec["triggers"].([]any)
	require.Len(t, triggers, 1)
	tr := triggers[0].(map[string]any)
	assert.Equal(t, "aws-sqs-queue", tr["type"])
	assert.Equal(t, map[string]any{
		"queueURL": s.QueueURL, "queueLength": "1", "activationQueueLength": "0", "awsRegion": "us-west-2", "scaleOnInFlight": "true",
	}, tr["metadata"], "all metadata are strings")
	assert.Equal(t, map[string]any{"name": "worker-aws", "kind": "TriggerAuthentication"}, tr["authenticationRef"])

	w := 120
	s.ScaleDownStabilizationSeconds, s.ScaleOnInFlight = &w, false
	spec = toMap(t, WorkloadScaledObject(s))["spec"].(map[string]any)
	assert.Equal(t, map[string]any{"horizontalPodAutoscalerConfig": map[string]any{"behavior": map[string]any{
		"scaleDown": map[string]any{"stabilizationWindowSeconds": float64(120)}}}}, spec["advanced"])
	assert.Equal(t, "false", spec["triggers"].([]any)[0].(map[string]any)["metadata"].(map[string]any)["scaleOnInFlight"])
}

func TestWorkloadTriggerAuthentication(t *testing.T) {
	t.Parallel()
	ta := toMap(t, WorkloadTriggerAuthentication(testWorkloadSettings()))
	assert.Equal(t, "TriggerAuthentication", ta["kind"])
	assert.Equal(t, "worker-aws", ta["metadata"].(map[string]any)["name"])
	assert.Equal(t, map[string]any{"podIdentity": map[string]any{"provider": "aws", "identityOwner": "keda"}}, ta["spec"])
}

func TestBuildWorkloadObjectsNamespace(t *testing.T) {
	t.Parallel()
	s := testWorkloadSettings()
	s.Namespace = "jobs"
	s.Labels = map[string]string{"team": "a", "app.kubernetes.io/name": "overridden"}
	objs := NewWorkloadObjects(s)
	assert.Equal(t, KubeTypeMeta{"v1", "Namespace"}, objs.Namespace.KubeTypeMeta)
	assert.Equal(t, "jobs", objs.Namespace.Metadata.Name)
	assert.Empty(t, objs.Namespace.Metadata.Namespace)
	assert.Equal(t, "a", objs.Namespace.Metadata.Labels["team"])
	assert.Equal(t, "worker", objs.Namespace.Metadata.Labels["app.kubernetes.io/name"], "platform labels win")
	for _, ns := range []string{objs.ServiceAccount.Metadata.Namespace, objs.Deployment.Metadata.Namespace,
		objs.TriggerAuthentication.Metadata.Namespace, objs.ScaledObject.Metadata.Namespace} {
		assert.Equal(t, "jobs", ns)
	}
	assert.Equal(t, "overridden", s.Labels["app.kubernetes.io/name"], "the input is not mutated")
}

func TestECRRepositoryName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"eventscale-dev": "eventscale-dev/worker",
		"My_Cluster--1":  "my-cluster-1/worker",
		"__":             "eventscale/worker",
	} {
		assert.Equal(t, want, ECRRepositoryName(in), in)
	}
}

func TestWorkloadPodsGetNoKubernetesAPIToken(t *testing.T) {
	t.Parallel()
	pod := toMap(t, WorkloadDeployment(testWorkloadSettings()))["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	v, sent := pod["automountServiceAccountToken"]
	assert.True(t, sent, "sent explicitly: absent, the API server mounts the token")
	assert.Equal(t, false, v)
}

func TestWorkloadNamespaceIsRestricted(t *testing.T) {
	t.Parallel()
	ns := NewWorkloadObjects(testWorkloadSettings()).Namespace
	for _, mode := range []string{"enforce", "audit", "warn"} {
		assert.Equal(t, "restricted", ns.Metadata.Labels["pod-security.kubernetes.io/"+mode], mode)
		assert.Equal(t, PodSecurityVersion, ns.Metadata.Labels["pod-security.kubernetes.io/"+mode+"-version"], mode)
	}
	assert.Equal(t, "worker", ns.Metadata.Labels["app.kubernetes.io/name"], "the workload labels stay")
}

func TestWorkloadNetworkPolicy(t *testing.T) {
	t.Parallel()
	s := testWorkloadSettings()
	s.Namespace = "jobs"
	np := toMap(t, NewWorkloadObjects(s).NetworkPolicy)
	assert.Equal(t, "networking.k8s.io/v1", np["apiVersion"])
	assert.Equal(t, "NetworkPolicy", np["kind"])
	meta := np["metadata"].(map[string]any)
	assert.Equal(t, "worker-default-deny", meta["name"])
	assert.Equal(t, "jobs", meta["namespace"])
	assert.Equal(t, map[string]any{
		"podSelector": map[string]any{},
		"policyTypes": []any{"Ingress", "Egress"},
		"egress": []any{
			map[string]any{
				"to": []any{map[string]any{
					"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "kube-system"}},
					"podSelector":       map[string]any{"matchLabels": map[string]any{"k8s-app": "kube-dns"}},
				}},
				"ports": []any{map[string]any{"protocol": "UDP", "port": float64(53)}, map[string]any{"protocol": "TCP", "port": float64(53)}},
			},
			map[string]any{
				"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": "0.0.0.0/0"}}},
				"ports": []any{map[string]any{"protocol": "TCP", "port": float64(443)}},
			},
		},
	}, np["spec"], "every pod: no ingress at all, egress only DNS to CoreDNS and HTTPS")
}
