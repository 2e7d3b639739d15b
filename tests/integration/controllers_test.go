package integration

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

var (
	namespacesGVR     = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	nodesGVR          = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	podsGVR           = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	servicesGVR       = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	deploymentsGVR    = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	replicaSetsGVR    = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
	endpointSlicesGVR = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}
)

// TestControllerManager runs the real kube-controller-manager beside the API
// server (Options.ControllerManager) and follows a Deployment and a Service
// through the controllers the engine tier relies on: the Deployment
// controller makes a ReplicaSet (owned by the Deployment, revision 1), the
// ReplicaSet controller makes the Pods, and once the Pods are Running and
// Ready the Deployment reports them available and the EndpointSlice
// controller lists their IPs; deleting the Deployment lets the garbage
// collector remove the ReplicaSet and the Pods. (The namespace controller
// runs too but is not waited for: it holds every deleted namespace for a
// fixed 5 s first, more than the rest of this test.) No kubelet runs: the
// test binds the Pods and writes their status itself (a stand-in for the
// scheduler and the kubelet, which cannot show image pulls, probes or
// graceful termination). It also checks Options.AnonymousHealth: health
// endpoints answer without credentials, the API does not.
func TestControllerManager(t *testing.T) {
	kcm, err := KubeControllerManagerPath()
	RequirePrerequisite(t, err)
	for _, f := range []func() (string, error){KubeAPIServerPath, EtcdPath} {
		_, err := f()
		RequirePrerequisite(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{ControllerManager: kcm, AnonymousHealth: true, Logf: t.Logf})
	if c != nil {
		clustersMu.Lock()
		clusters = append(clusters, c)
		clustersMu.Unlock()
		t.Cleanup(func() { _ = c.Stop() })
	}
	if err != nil {
		t.Fatalf("starting etcd, kube-apiserver and kube-controller-manager: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.LogTail("kube-controller-manager", 60))
		}
	})

	t.Run("anonymous", func(t *testing.T) {
		caPEM := c.Config.CAData
		for _, path := range []string{"/healthz", "/livez", "/readyz", "/version"} {
			if err := healthy(c.URL+path, caPEM); err != nil {
				t.Errorf("anonymous GET %s: %v", path, err)
			}
		}
		for _, path := range []string{"/api/v1/namespaces", "/api/v1/namespaces/kube-system/secrets", "/api", "/apis", "/metrics", "/openapi/v2"} {
			err := healthy(c.URL+path, caPEM)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprint(http.StatusForbidden)) {
				t.Errorf("anonymous GET %s: %v, want 403 Forbidden", path, err)
			}
		}
	})

	dc, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	const ns, app, node = "controllers", "web", "stand-in-node"
	create := func(gvr schema.GroupVersionResource, namespace string, obj map[string]any) *unstructured.Unstructured {
		t.Helper()
		u, err := dc.Resource(gvr).Namespace(namespace).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("creating %s: %v", gvr.Resource, err)
		}
		return u
	}
	create(namespacesGVR, "", map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}})
	// The EndpointSlice controller skips Pods whose Node does not exist
	// (k8s.io/endpointslice@v0.35.4 reconciler.go), so the Pods are bound to
	// a registered Node, as a kubelet would register it.
	create(nodesGVR, "", map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": node}})
	labels := map[string]any{"app": app}
	dep := create(deploymentsGVR, ns, map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": app},
		"spec": map[string]any{
			"replicas": 2,
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					// Without a kubelet nothing confirms a graceful deletion, so
					// a bound Pod would stay Terminating; with 0 the API server
					// removes it as soon as the garbage collector deletes it.
					"terminationGracePeriodSeconds": 0,
					"containers": []any{map[string]any{
						"name": app, "image": "registry.invalid/web:1",
						"ports": []any{map[string]any{"name": "http", "containerPort": 8080}},
					}},
				},
			},
		},
	})
	create(servicesGVR, ns, map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": app},
		"spec": map[string]any{
			"selector": labels,
			"ports":    []any{map[string]any{"name": "http", "port": 80, "targetPort": "http"}},
		},
	})

	// The Deployment controller creates one ReplicaSet, controlled by the
	// Deployment and at revision 1; the ReplicaSet controller its 2 Pods.
	var rs appsv1.ReplicaSet
	eventually(ctx, t, "the Deployment's ReplicaSet", func() (string, error) {
		var list []appsv1.ReplicaSet
		if err := listInto(ctx, dc, replicaSetsGVR, ns, &list); err != nil {
			return "", err
		}
		if len(list) != 1 {
			return fmt.Sprintf("%d ReplicaSets", len(list)), nil
		}
		rs = list[0]
		return "", nil
	})
	if ref := metav1.GetControllerOf(&rs); ref == nil || ref.Kind != "Deployment" || ref.Name != app || ref.UID != dep.GetUID() {
		t.Errorf("ReplicaSet %s: controller %+v, want Deployment %s (uid %s)", rs.Name, ref, app, dep.GetUID())
	}
	if rev := rs.Annotations["deployment.kubernetes.io/revision"]; rev != "1" {
		t.Errorf("ReplicaSet %s: revision annotation %q, want \"1\"", rs.Name, rev)
	}
	var pods []corev1.Pod
	eventually(ctx, t, "2 Pods of the ReplicaSet", func() (string, error) {
		if err := listInto(ctx, dc, podsGVR, ns, &pods); err != nil {
			return "", err
		}
		if len(pods) != 2 {
			return fmt.Sprintf("%d Pods", len(pods)), nil
		}
		return "", nil
	})
	for _, p := range pods {
		if ref := metav1.GetControllerOf(&p); ref == nil || ref.Kind != "ReplicaSet" || ref.UID != rs.UID {
			t.Errorf("Pod %s: controller %+v, want ReplicaSet %s", p.Name, ref, rs.Name)
		}
	}

	// Stand-in for the scheduler and the kubelet: bind each Pod to the Node
	// and report it Running and Ready with its own IP.
	var wantIPs []string
	for i, p := range pods {
		ip := fmt.Sprintf("10.244.0.%d", 10+i)
		wantIPs = append(wantIPs, ip)
		markRunning(ctx, t, dc, p, node, ip)
	}

	eventually(ctx, t, "the Deployment available with 2 replicas", func() (string, error) {
		var d appsv1.Deployment
		if err := getInto(ctx, dc, deploymentsGVR, ns, app, &d); err != nil {
			return "", err
		}
		available := false
		for _, cond := range d.Status.Conditions {
			if cond.Type == appsv1.DeploymentAvailable && cond.Status == corev1.ConditionTrue {
				available = true
			}
		}
		if d.Status.AvailableReplicas != 2 || !available || d.Status.ObservedGeneration != d.Generation {
			return fmt.Sprintf("availableReplicas %d, conditions %+v", d.Status.AvailableReplicas, d.Status.Conditions), nil
		}
		return "", nil
	})
	eventually(ctx, t, "the Service's EndpointSlice with both Pod IPs, ready", func() (string, error) {
		var eps []discoveryv1.EndpointSlice
		if err := listInto(ctx, dc, endpointSlicesGVR, ns, &eps, discoveryv1.LabelServiceName+"="+app); err != nil {
			return "", err
		}
		got := readyAddresses(eps)
		if !equalSets(got, wantIPs) {
			return fmt.Sprintf("%d slices, ready addresses %v", len(eps), got), nil
		}
		return "", nil
	})

	// Deleting the Deployment (background propagation, the default) leaves
	// the ReplicaSet and the Pods to the garbage collector.
	if err := dc.Resource(deploymentsGVR).Namespace(ns).Delete(ctx, app, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, "the garbage collector to remove the ReplicaSet and the Pods", func() (string, error) {
		var sets []appsv1.ReplicaSet
		var left []corev1.Pod
		if err := listInto(ctx, dc, replicaSetsGVR, ns, &sets); err != nil {
			return "", err
		}
		if err := listInto(ctx, dc, podsGVR, ns, &left); err != nil {
			return "", err
		}
		if len(sets)+len(left) > 0 {
			return fmt.Sprintf("%d ReplicaSets, %d Pods left", len(sets), len(left)), nil
		}
		return "", nil
	})

}

// markRunning binds p to node through the binding subresource (what the
// scheduler does) and writes the status a kubelet would report for a started,
// ready container with pod IP ip.
func markRunning(ctx context.Context, t *testing.T, dc dynamic.Interface, p corev1.Pod, node, ip string) {
	t.Helper()
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Binding",
		"metadata": map[string]any{"name": p.Name, "namespace": p.Namespace},
		"target":   map[string]any{"apiVersion": "v1", "kind": "Node", "name": node},
	}}
	if _, err := dc.Resource(podsGVR).Namespace(p.Namespace).Create(ctx, binding, metav1.CreateOptions{}, "binding"); err != nil {
		t.Fatalf("binding Pod %s to %s: %v", p.Name, node, err)
	}
	now := metav1.Now()
	status := corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    "127.0.0.1",
		HostIPs:   []corev1.HostIP{{IP: "127.0.0.1"}},
		PodIP:     ip,
		PodIPs:    []corev1.PodIP{{IP: ip}},
		StartTime: &now,
	}
	for _, ct := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		status.Conditions = append(status.Conditions, corev1.PodCondition{Type: ct, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	started := true
	for _, ctr := range p.Spec.Containers {
		status.ContainerStatuses = append(status.ContainerStatuses, corev1.ContainerStatus{
			Name: ctr.Name, Image: ctr.Image, ImageID: ctr.Image, Ready: true, Started: &started,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&status)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := (&unstructured.Unstructured{Object: map[string]any{"status": obj}}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.Resource(podsGVR).Namespace(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		t.Fatalf("writing the status of Pod %s: %v", p.Name, err)
	}
}

// eventually polls cond every 200 ms until it returns "" and no error, and
// fails the test with the last state it reported when ctx ends.
func eventually(ctx context.Context, t *testing.T, what string, cond func() (state string, err error)) {
	t.Helper()
	start := time.Now()
	for {
		state, err := cond()
		if err == nil && state == "" {
			t.Logf("%s after %s", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if err != nil {
			state = err.Error()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; last: %s", what, ctx.Err(), state)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// listInto lists gvr in namespace (optionally by a label selector) into out,
// a pointer to a slice of the typed object.
func listInto[T any](ctx context.Context, dc dynamic.Interface, gvr schema.GroupVersionResource, namespace string, out *[]T, selector ...string) error {
	list, err := dc.Resource(gvr).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: strings.Join(selector, ",")})
	if err != nil {
		return err
	}
	*out = (*out)[:0]
	for _, item := range list.Items {
		var v T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(item.Object, &v); err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return nil
}

// getInto reads one object of gvr into out.
func getInto(ctx context.Context, dc dynamic.Interface, gvr schema.GroupVersionResource, namespace, name string, out any) error {
	u, err := dc.Resource(gvr).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out)
}

// readyAddresses returns the addresses of the ready endpoints of eps.
func readyAddresses(eps []discoveryv1.EndpointSlice) []string {
	var out []string
	for _, s := range eps {
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
				out = append(out, ep.Addresses...)
			}
		}
	}
	return out
}

// equalSets reports whether a and b hold the same strings, ignoring order.
func equalSets(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
