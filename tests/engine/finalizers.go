package engine

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ControllerFinalizers says which of a chart's custom resources need its controller running
// to be deleted, and which Deployment runs that controller. There are two kinds:
//
//   - Resources carry the controller's Finalizer: the controller adds it, and removes it when
//     the resource is deleted, once it has cleaned up. From the controllers' own code:
//     KEDA v2.20.2 adds "finalizer.keda.sh" to ScaledObjects
//     (controllers/keda/scaledobject_finalizer.go) and TriggerAuthentications
//     (controllers/keda/util/finalizer.go); karpenter-provider-aws v1.14.1 adds
//     "karpenter.k8s.aws/termination" to EC2NodeClasses (pkg/controllers/nodeclass/controller.go,
//     v1.TerminationFinalizer).
//   - Owners carry no finalizer of their own; the objects they own do, and only the controller
//     removes it. Karpenter's NodePool: sigs.k8s.io/karpenter v1.14.1 adds no finalizer to a
//     NodePool (no AddFinalizer on one anywhere in pkg/); each NodeClaim it launches for one has
//     an ownerReference to the NodePool with blockOwnerDeletion
//     (pkg/controllers/provisioning/scheduling/nodeclaimtemplate.go, ToNodeClaim) and carries
//     "karpenter.sh/termination" (pkg/apis/v1/labels.go, TerminationFinalizer; added in
//     pkg/controllers/nodeclaim/lifecycle/controller.go), which Karpenter removes only after it
//     has deleted the NodeClaim's Node and terminated its instance (finalize, same file). Deleting
//     the NodePool deletes its NodeClaims (the Kubernetes provider deletes in the foreground and
//     waits until the object is gone: github.com/pulumi/pulumi-kubernetes/provider/v4@
//     v4.0.0-20260115033456-f47bc2d6f199, pkg/await/await.go, Deletion), so with Karpenter gone
//     the NodeClaims, their Nodes and their instances stay, and so does the NodePool.
type ControllerFinalizers struct {
	// Controller is the Deployment (namespace/name) that runs the controller.
	Controller string
	// Finalizer is what it adds; Resources are the custom resources it adds it to.
	Finalizer string
	Resources []CustomResource
	// Owners are the custom resources without a finalizer whose deletion needs the controller
	// running (the stand-in FinalizerController leaves them alone).
	Owners []Owner
}

// Owner is a custom resource whose owned objects carry the controller's finalizer.
type Owner struct {
	CustomResource
	// Owned is the kind of the objects it owns; Finalizer what they carry.
	Owned, Finalizer string
}

// NeedController is every custom resource type whose deletion needs the controller running:
// Resources, then Owners.
func (c ControllerFinalizers) NeedController() []CustomResource {
	out := slices.Clone(c.Resources)
	for _, o := range c.Owners {
		out = append(out, o.CustomResource)
	}
	return out
}

// CustomResource is a custom resource type: its API resource and its kind.
type CustomResource struct {
	schema.GroupVersionResource
	Kind string
}

// Token is the resource's Pulumi type token (kubernetes:<group>/<version>:<Kind>).
func (r CustomResource) Token() string {
	return "kubernetes:" + r.Group + "/" + r.Version + ":" + r.Kind
}

// Finalizers are KEDA's and Karpenter's, with their controllers' Deployments as the charts
// install them with the program's release names and namespaces (keda: keda/keda-operator;
// Karpenter: <namespace>/karpenter).
func Finalizers(karpenterNamespace, kedaNamespace string) []ControllerFinalizers {
	return []ControllerFinalizers{
		{Controller: kedaNamespace + "/keda-operator", Finalizer: "finalizer.keda.sh", Resources: []CustomResource{
			{schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "scaledobjects"}, "ScaledObject"},
			{schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "triggerauthentications"}, "TriggerAuthentication"},
		}},
		{Controller: karpenterNamespace + "/karpenter", Finalizer: "karpenter.k8s.aws/termination", Resources: []CustomResource{
			{schema.GroupVersionResource{Group: "karpenter.k8s.aws", Version: "v1", Resource: "ec2nodeclasses"}, "EC2NodeClass"},
		}, Owners: []Owner{
			{CustomResource{schema.GroupVersionResource{Group: "karpenter.sh", Version: "v1", Resource: "nodepools"}, "NodePool"},
				"NodeClaim", "karpenter.sh/termination"},
		}},
	}
}

// FinalizerController is a STAND-IN for KEDA's and Karpenter's controllers in what decides the
// order of a destroy: while a controller's Deployment exists (and is not being deleted), it keeps
// its finalizer on each of its custom resources and, when one is being deleted, removes it (the
// real controller cleans up first: KEDA its HPA, Karpenter its instance profiles and nodes); once
// the Deployment is gone it does nothing, so a resource deleted after its controller stays
// Terminating, as it would on a cluster. It records when each was released and when each
// Deployment went. What it cannot show: the controllers' clean-up itself.
type FinalizerController struct {
	kube   *kubernetes.Clientset
	dyn    *dynamic.DynamicClient
	set    []ControllerFinalizers
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	events []string
	// existed: the controllers whose Deployment was seen alive; gone: then seen gone.
	existed, gone map[string]bool
}

// StartFinalizerController polls every 100 ms until Stop.
func StartFinalizerController(cfg *rest.Config, set []ControllerFinalizers) (*FinalizerController, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &FinalizerController{kube: kube, dyn: dyn, set: set, cancel: cancel, done: make(chan struct{}),
		existed: map[string]bool{}, gone: map[string]bool{}}
	go f.run(ctx)
	return f, nil
}

// Stop ends the controller.
func (f *FinalizerController) Stop() { f.cancel(); <-f.done }

// Events are what happened, in order: "released <resource> <ns>/<name>" and "gone <deployment>".
func (f *FinalizerController) Events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

func (f *FinalizerController) note(e string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
}

func (f *FinalizerController) run(ctx context.Context) {
	defer close(f.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, c := range f.set {
			f.reconcile(ctx, c)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// alive is true while the controller's Deployment exists and is not being deleted.
func (f *FinalizerController) alive(ctx context.Context, c ControllerFinalizers) bool {
	ns, name, _ := strings.Cut(c.Controller, "/")
	d, err := f.kube.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	f.mu.Lock()
	defer f.mu.Unlock()
	if apierrors.IsNotFound(err) || (err == nil && d.DeletionTimestamp != nil) {
		if f.existed[c.Controller] && !f.gone[c.Controller] {
			f.gone[c.Controller] = true
			f.events = append(f.events, "gone "+c.Controller)
		}
		return false
	}
	if err == nil {
		f.existed[c.Controller] = true
	}
	return err == nil
}

func (f *FinalizerController) reconcile(ctx context.Context, c ControllerFinalizers) {
	if !f.alive(ctx, c) {
		return
	}
	for _, cr := range c.Resources {
		list, err := f.dyn.Resource(cr.GroupVersionResource).List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		for i := range list.Items {
			f.step(ctx, cr.GroupVersionResource, &list.Items[i], c.Finalizer)
		}
	}
}

// step adds the finalizer to a live resource, or removes it from one being deleted.
func (f *FinalizerController) step(ctx context.Context, gvr schema.GroupVersionResource, u *unstructured.Unstructured, finalizer string) {
	fins := u.GetFinalizers()
	has := slices.Contains(fins, finalizer)
	client := f.dyn.Resource(gvr).Namespace(u.GetNamespace())
	switch {
	case u.GetDeletionTimestamp() == nil && !has:
		u.SetFinalizers(append(fins, finalizer))
	case u.GetDeletionTimestamp() != nil && has:
		u.SetFinalizers(slices.DeleteFunc(fins, func(s string) bool { return s == finalizer }))
		defer f.note("released " + gvr.Resource + " " + u.GetNamespace() + "/" + u.GetName())
	default:
		return
	}
	_, _ = client.Update(ctx, u, metav1.UpdateOptions{})
}
