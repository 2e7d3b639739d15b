package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// StandInNode is the one Node the kubelet stand-in registers.
const StandInNode = "standin-node"

// Kubelet is a STAND-IN for the kubelets of a cluster's nodes (Fargate's and Karpenter's), so
// that the real kube-controller-manager's Deployments roll out and Services get endpoints, which
// the Kubernetes provider waits for: it registers one Ready Node, binds every unscheduled Pod to
// it, reports each bound Pod Running and Ready with an address of its own (no container runs),
// and finishes the deletion of a Pod being deleted, as a kubelet does once its containers have
// stopped. What it cannot show: scheduling (requests, affinities, taints, Fargate's profiles), the
// containers themselves, probes, or anything a node does on AWS.
type Kubelet struct {
	client *kubernetes.Clientset
	cancel context.CancelFunc
	done   chan struct{}
	nextIP atomic.Uint32
	mu     sync.Mutex
	err    error
}

// StartKubelet registers the Node and starts watching Pods; Stop ends it.
func StartKubelet(ctx context.Context, cfg *rest.Config) (*Kubelet, error) {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: StandInNode, Labels: map[string]string{
			"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": StandInNode,
			"eventscale.dev/stand-in": "kubelet",
		}},
	}
	created, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("kubelet stand-in: registering the node: %w", err)
	}
	now := metav1.Now()
	created.Status = corev1.NodeStatus{
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: now, LastTransitionTime: now}},
		Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.88.0.1"}},
		Capacity:   corev1.ResourceList{},
	}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("kubelet stand-in: node status: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	k := &Kubelet{client: client, cancel: cancel, done: make(chan struct{})}
	k.nextIP.Store(1)
	go k.run(runCtx)
	return k, nil
}

// Stop ends the watch and returns the first error the stand-in met, if any.
func (k *Kubelet) Stop() error {
	k.cancel()
	<-k.done
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

func (k *Kubelet) fail(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err == nil {
		k.err = err
	}
}

func (k *Kubelet) run(ctx context.Context) {
	defer close(k.done)
	for ctx.Err() == nil {
		w, err := k.client.CoreV1().Pods("").Watch(ctx, metav1.ListOptions{})
		if err != nil {
			if ctx.Err() == nil {
				time.Sleep(200 * time.Millisecond)
			}
			continue
		}
		for ev := range w.ResultChan() {
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			if err := k.reconcile(ctx, pod); err != nil && ctx.Err() == nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				k.fail(fmt.Errorf("kubelet stand-in: pod %s/%s: %w", pod.Namespace, pod.Name, err))
			}
		}
		w.Stop()
	}
}

// reconcile moves one Pod on by one step: bind, run, or finish deleting.
func (k *Kubelet) reconcile(ctx context.Context, pod *corev1.Pod) error {
	pods := k.client.CoreV1().Pods(pod.Namespace)
	switch {
	case pod.DeletionTimestamp != nil:
		zero := int64(0)
		return pods.Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	case pod.Spec.NodeName == "":
		return pods.Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: StandInNode},
		}, metav1.CreateOptions{})
	case pod.Status.Phase == corev1.PodRunning:
		return nil
	}
	n := k.nextIP.Add(1)
	ip := fmt.Sprintf("10.88.%d.%d", n/250, n%250+1)
	now := metav1.Now()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.HostIP = "10.88.0.1"
	pod.Status.PodIP = ip
	pod.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	pod.Status.StartTime = &now
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	pod.Status.ContainerStatuses = nil
	started := true
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: true, Started: &started,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	_, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	return err
}
