package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// FieldManager is the server-side apply field manager of every object this
// tier applies.
const FieldManager = "eventscale"

// Client applies objects to a test cluster with server-side apply and strict
// field validation, and reads them back. Calls are serialized, so the
// warnings a call returns are that call's.
type Client struct {
	dynamic   dynamic.Interface
	discovery discovery.CachedDiscoveryInterface
	mapper    *restmapper.DeferredDiscoveryRESTMapper

	mu sync.Mutex // serializes calls

	wmu      sync.Mutex
	warnings []string
}

// NewClient returns a client for cfg. It records the server's warnings
// (deprecations, unknown fields in non-strict modes, ...) per call.
func NewClient(cfg *rest.Config) (*Client, error) {
	c := &Client{}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = warningRecorder{c}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	c.discovery = memory.NewMemCacheClient(dc)
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(c.discovery)
	if c.dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

type warningRecorder struct{ c *Client }

// HandleWarningHeader records a server warning.
func (w warningRecorder) HandleWarningHeader(code int, agent, text string) {
	if code == 299 && text != "" {
		w.c.wmu.Lock()
		w.c.warnings = append(w.c.warnings, text)
		w.c.wmu.Unlock()
	}
}

func (c *Client) takeWarnings() []string {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	w := c.warnings
	c.warnings = nil
	return w
}

// ServerVersion returns the server's /version.
func (c *Client) ServerVersion() (*version.Info, error) {
	return c.discovery.ServerVersion()
}

// ApplyOptions adjust [Client.Apply].
type ApplyOptions struct {
	// DryRun validates and admits the object without persisting it (dryRun=All).
	DryRun bool
	// Force takes over fields owned by other managers instead of failing
	// with a conflict.
	Force bool
	// Manager is the field manager; empty means [FieldManager].
	Manager string
}

// ApplyResult is the server's answer to an apply.
type ApplyResult struct {
	// Object is the object as the server stored it (or would have, for a dry run).
	Object map[string]any
	// Warnings are the server's warning headers.
	Warnings []string
}

// Apply sends obj as a server-side apply patch with fieldValidation=Strict.
// If discovery does not know obj's kind, the request still goes to the path
// a client would guess (lower-case plural), so that the server, not the
// client, answers (404 for a group or version it does not serve).
func (c *Client) Apply(ctx context.Context, obj map[string]any, opts ApplyOptions) (*ApplyResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.takeWarnings()
	res, ns, err := c.resourceFor(obj)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	manager := opts.Manager
	if manager == "" {
		manager = FieldManager
	}
	po := metav1.PatchOptions{FieldManager: manager, FieldValidation: "Strict", Force: &opts.Force}
	if opts.DryRun {
		po.DryRun = []string{metav1.DryRunAll}
	}
	u, err := res.Namespace(ns).Patch(ctx, nameOf(obj), types.ApplyPatchType, data, po)
	out := &ApplyResult{Warnings: c.takeWarnings()}
	if err != nil {
		return out, err
	}
	out.Object = u.Object
	return out, nil
}

// Get reads obj (by apiVersion, kind, namespace and name) back from the server.
func (c *Client) Get(ctx context.Context, obj map[string]any) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	res, ns, err := c.resourceFor(obj)
	if err != nil {
		return nil, err
	}
	u, err := res.Namespace(ns).Get(ctx, nameOf(obj), metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return u.Object, nil
}

// Delete deletes obj (by apiVersion, kind, namespace and name) with the given propagation
// policy; it does not wait for the object to be gone (finalizers may hold it).
func (c *Client) Delete(ctx context.Context, obj map[string]any, propagation metav1.DeletionPropagation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	res, ns, err := c.resourceFor(obj)
	if err != nil {
		return err
	}
	return res.Namespace(ns).Delete(ctx, nameOf(obj), metav1.DeleteOptions{PropagationPolicy: &propagation})
}

// HPAFieldManager is the field manager of the HorizontalPodAutoscaler
// controller's writes, which own a KEDA-scaled Deployment's replicas: it
// updates the scale subresource without a field manager
// (k8s.io/kubernetes@v1.35.4 pkg/controller/podautoscaler/horizontal.go,
// Scales().Update with empty UpdateOptions), so the API server takes the
// user agent up to its first "/" (k8s.io/apiserver@v0.35.4
// pkg/endpoints/handlers/create.go, managerOrUserAgent), which client-go
// starts with the binary's name (k8s.io/client-go@v0.35.4 rest/config.go,
// DefaultKubernetesUserAgent; read 2026-12-07).
const HPAFieldManager = "kube-controller-manager"

// UpdateScale sets the replicas of obj's scale subresource as the given field
// manager, the way the HorizontalPodAutoscaler that KEDA creates does.
func (c *Client) UpdateScale(ctx context.Context, obj map[string]any, replicas int64, manager string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	res, ns, err := c.resourceFor(obj)
	if err != nil {
		return err
	}
	scale, err := res.Namespace(ns).Get(ctx, nameOf(obj), metav1.GetOptions{}, "scale")
	if err != nil {
		return err
	}
	if err := unstructured.SetNestedField(scale.Object, replicas, "spec", "replicas"); err != nil {
		return err
	}
	_, err = res.Namespace(ns).Update(ctx, scale, metav1.UpdateOptions{FieldManager: manager}, "scale")
	return err
}

// ReplicasOwners are the field managers that own spec.replicas of obj (as the
// server returns it, with metadata.managedFields), sorted.
func ReplicasOwners(obj map[string]any) []string {
	var owners []string
	meta, _ := obj["metadata"].(map[string]any)
	entries, _ := meta["managedFields"].([]any)
	for _, e := range entries {
		entry, _ := e.(map[string]any)
		fields, _ := entry["fieldsV1"].(map[string]any)
		spec, _ := fields["f:spec"].(map[string]any)
		if _, ok := spec["f:replicas"]; ok {
			owners = append(owners, fmt.Sprint(entry["manager"]))
		}
	}
	slices.Sort(owners)
	return owners
}

// Namespaced reports whether the server serves apiVersion/kind as a
// namespaced resource.
func (c *Client) Namespaced(apiVersion, kind string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, err := c.mapping(apiVersion, kind)
	if err != nil {
		return false, err
	}
	return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

// ResetDiscovery forgets cached discovery, e.g. after CRDs were installed.
func (c *Client) ResetDiscovery() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mapper.Reset()
}

func (c *Client) mapping(apiVersion, kind string) (*meta.RESTMapping, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	m, err := c.mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset() // a CRD may have been added since discovery was cached
		m, err = c.mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	}
	return m, err
}

func (c *Client) resourceFor(obj map[string]any) (dynamic.NamespaceableResourceInterface, string, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if apiVersion == "" || kind == "" || nameOf(obj) == "" {
		return nil, "", fmt.Errorf("%s: apiVersion, kind and metadata.name are required", Identity(obj))
	}
	ns := namespaceOf(obj)
	m, err := c.mapping(apiVersion, kind)
	if meta.IsNoMatchError(err) {
		gv, _ := schema.ParseGroupVersion(apiVersion)
		return c.dynamic.Resource(gv.WithResource(strings.ToLower(kind) + "s")), ns, nil
	}
	if err != nil {
		return nil, "", err
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		ns = ""
	}
	return c.dynamic.Resource(m.Resource), ns, nil
}

// ApplyCRDs applies CustomResourceDefinition manifests (YAML) and waits
// until every one is Established and its kind is served.
func (c *Client) ApplyCRDs(ctx context.Context, manifests [][]byte, timeout time.Duration) ([]string, error) {
	var names []string
	for _, m := range manifests {
		obj := map[string]any{}
		if err := yaml.Unmarshal(m, &obj); err != nil {
			return names, fmt.Errorf("decoding CRD: %w", err)
		}
		if _, err := c.Apply(ctx, obj, ApplyOptions{}); err != nil {
			return names, fmt.Errorf("applying %s: %w", Identity(obj), err)
		}
		names = append(names, nameOf(obj))
	}
	crds := c.dynamic.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	deadline := time.Now().Add(timeout)
	for _, name := range names {
		for {
			u, err := crds.Get(ctx, name, metav1.GetOptions{})
			if err == nil && established(u) {
				break
			}
			if time.Now().After(deadline) {
				return names, fmt.Errorf("CRD %s not Established after %s (last error: %v)", name, timeout, err)
			}
			select {
			case <-ctx.Done():
				return names, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	c.ResetDiscovery()
	return names, nil
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

func nameOf(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	n, _ := meta["name"].(string)
	return n
}

func namespaceOf(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	n, _ := meta["namespace"].(string)
	return n
}

// SetNamespace sets metadata.namespace.
func SetNamespace(obj map[string]any, ns string) {
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	meta["namespace"] = ns
}

// ErrorMessage returns the message of an API error (the server's Status
// message), or err.Error().
func ErrorMessage(err error) string {
	var se interface{ Status() metav1.Status }
	if errors.As(err, &se) {
		if m := se.Status().Message; m != "" {
			return m
		}
	}
	return err.Error()
}
